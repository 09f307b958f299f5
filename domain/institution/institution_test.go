package institution

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

func TestRegister(t *testing.T) {
	province := access.Actor{UserID: uuid.New(), Role: access.RoleProvinceAdmin, Jurisdiction: "13"}
	city := access.Actor{UserID: uuid.New(), Role: access.RoleCityAdmin, Jurisdiction: "1301"}
	good := Registration{Name: " 河北师范大学 ", Code: "hebtu", Contact: "张老师 0311-80780000"}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		actor access.Actor
		in    Registration
		want  error
	}{
		{"province", province, good, nil},
		{"city may not", city, good, access.ErrForbidden},
		{"bad code", province, Registration{Name: "甲", Code: "河北", Contact: "x"}, domain.ErrValidation},
		{"no contact", province, Registration{Name: "甲", Code: "AB"}, domain.ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := New(uuid.New())
			err := i.Register(tt.actor, tt.in, at)
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				return
			}
			if i.Name() != "河北师范大学" || i.Code() != "HEBTU" {
				t.Fatalf("got %q %q", i.Name(), i.Code())
			}
			if err := i.Register(tt.actor, tt.in, at); !errors.Is(err, domain.ErrDuplicate) {
				t.Fatalf("second register: %v", err)
			}
			// Replay gives the same state.
			var h []event.Envelope
			for n, c := range i.Changes() {
				h = append(h, event.Envelope{Revision: uint64(n), Event: c})
			}
			j := New(i.ID())
			j.Root.Load(j, h)
			if j.Name() != i.Name() || j.Contact() != i.Contact() {
				t.Fatalf("replay: %+v", j)
			}
			if err := j.ChangeContact(province, "李老师", at); err != nil || j.Contact() != "李老师" {
				t.Fatalf("contact: %v %q", err, j.Contact())
			}
		})
	}
}
