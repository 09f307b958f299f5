package teacher_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/teacher"
)

// An erasure withdraws an open transfer: on a read-only record nobody could
// ever accept or reject it, and it would stay in the receiving county's
// queue.
func TestErasureCancelsAnOpenTransfer(t *testing.T) {
	tr, _ := registered(t)
	sender := admin(access.RoleCountyAdmin, countyA)
	id := uuid.New()
	if err := tr.StartTransfer(id, countyB, nil, "工作调动", sender, now); err != nil {
		t.Fatal(err)
	}
	mark := len(tr.Changes())
	province := admin(access.RoleProvinceAdmin, "13")
	if err := tr.Erase(province, "依据《个人信息保护法》第四十七条", nil, now); err != nil {
		t.Fatal(err)
	}
	evs := since(tr, mark)
	if len(evs) != 2 {
		t.Fatalf("events = %#v, want a cancellation and the erasure", evs)
	}
	c, ok := evs[0].(*teacher.TransferCancelled)
	if !ok || c.TransferID != id || c.Reason != teacher.ErasureCancelsTransfer || c.ActorID != province.UserID {
		t.Errorf("first event = %#v, want the transfer cancelled by the province admin", evs[0])
	}
	if _, ok := evs[1].(*teacher.Erased); !ok {
		t.Errorf("second event = %#v, want Erased", evs[1])
	}
	r := saved(t, tr)
	if _, open := r.OpenTransfer(); open {
		t.Error("transfer still open after the erasure")
	}
	if !r.Erased() {
		t.Error("not erased after replay")
	}
	receiver := admin(access.RoleCountyAdmin, countyB)
	if err := r.AcceptTransfer(id, unitIn(countyB, "唐山市第一中学"), receiver, now); err == nil {
		t.Error("an erased teacher's withdrawn transfer was accepted")
	}

	// Without an open transfer the erasure is one event.
	plain, _ := registered(t)
	mark = len(plain.Changes())
	if err := plain.Erase(province, "依据《个人信息保护法》第四十七条", nil, now); err != nil {
		t.Fatal(err)
	}
	if evs := since(plain, mark); len(evs) != 1 {
		t.Errorf("events = %#v, want the erasure alone", evs)
	}
	if err := plain.Erase(province, "again", nil, now); !errors.Is(err, teacher.ErrErased) {
		t.Errorf("second erasure: %v", err)
	}
}
