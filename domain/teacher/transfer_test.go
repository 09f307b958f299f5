package teacher_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/teacher"
)

func TestTransferAccepted(t *testing.T) {
	tr, self := registered(t)
	sender, receiver := admin(access.RoleCountyAdmin, countyA), admin(access.RoleCountyAdmin, countyB)
	id := uuid.New()
	if err := tr.StartTransfer(id, countyB, nil, "工作调动", sender, now); err != nil {
		t.Fatal(err)
	}
	if err := tr.StartTransfer(uuid.New(), countyB, nil, "again", sender, now); !errors.Is(err, teacher.ErrTransferOpen) {
		t.Errorf("second transfer: %v", err)
	}
	if err := tr.ChangeUnit(sender, unitIn(countyA, "x学校"), "x", now); !errors.Is(err, teacher.ErrUnitChangeInTransfer) {
		t.Errorf("unit change during transfer: %v", err)
	}
	if err := tr.AcceptTransfer(id, unitIn(countyB, "唐山市第一中学"), sender, now); !errors.Is(err, teacher.ErrTransferNeedsReceivingAdmin) {
		t.Errorf("accept by sender: %v", err)
	}
	if err := tr.AcceptTransfer(id, unitIn(countyA, "x学校"), receiver, now); err == nil {
		t.Error("accepted into a unit outside the receiving county")
	}
	u := unitIn(countyB, "唐山市第一中学")
	if err := tr.AcceptTransfer(id, u, receiver, now); err != nil {
		t.Fatal(err)
	}
	r := saved(t, tr)
	if r.County() != countyB || r.City() != "1302" || r.UnitID() != u.ID || r.UnitName() != "唐山市第一中学" {
		t.Errorf("after replay: %s %s %v %s", r.County(), r.City(), r.UnitID(), r.UnitName())
	}
	if got := r.Transfers(); len(got) != 1 || got[0].Status != teacher.TransferStatusAccepted || got[0].DecidedBy != receiver.UserID {
		t.Errorf("transfers = %+v", got)
	}
	if _, open := r.OpenTransfer(); open {
		t.Error("transfer still open")
	}
	// Jurisdiction moved with the teacher.
	if _, err := tr.CorrectKeyField(sender, teacher.FieldName, "李思", "x", "", now); !errors.Is(err, teacher.ErrKeyFieldNeedsCountyAdmin) {
		t.Errorf("old county corrected a key field: %v", err)
	}
	if _, err := tr.CorrectKeyField(receiver, teacher.FieldName, "李思", "x", "", now); err != nil {
		t.Errorf("new county: %v", err)
	}
	if err := tr.EditOrdinary(self, map[string]string{teacher.FieldEthnicity: "03"}, "", now); err != nil {
		t.Errorf("teacher after transfer: %v", err)
	}
	if err := tr.RejectTransfer(id, receiver, "x", now); !errors.Is(err, teacher.ErrNoOpenTransfer) {
		t.Errorf("reject after accept: %v", err)
	}
}

func TestTransferNamedUnit(t *testing.T) {
	tr, _ := registered(t)
	u := unitIn(countyB, "唐山市第一中学")
	id := uuid.New()
	if err := tr.StartTransfer(id, countyB, &u, "调动", admin(access.RoleCountyAdmin, countyA), now); err != nil {
		t.Fatal(err)
	}
	if err := tr.AcceptTransfer(id, teacher.UnitRef{}, admin(access.RoleCountyAdmin, countyB), now); err != nil {
		t.Fatal(err)
	}
	if tr.UnitID() != u.ID {
		t.Errorf("unit = %v, want the one named at the start", tr.UnitID())
	}
}

func TestTransferRules(t *testing.T) {
	sender, receiver := admin(access.RoleCountyAdmin, countyA), admin(access.RoleCountyAdmin, countyB)
	other := unitIn(countyA, "石家庄一中")
	tests := []struct {
		name   string
		step   func(tr *teacher.Teacher, open uuid.UUID) error
		wantIs error // domain.ErrValidation for a form error
	}{
		{"start by another county", func(tr *teacher.Teacher, _ uuid.UUID) error {
			return tr.StartTransfer(uuid.New(), countyB, nil, "x", receiver, now)
		}, teacher.ErrTransferNeedsSendingAdmin},
		{"start by city admin", func(tr *teacher.Teacher, _ uuid.UUID) error {
			return tr.StartTransfer(uuid.New(), countyB, nil, "x", admin(access.RoleCityAdmin, "1301"), now)
		}, teacher.ErrTransferNeedsSendingAdmin},
		{"start to the same county", func(tr *teacher.Teacher, _ uuid.UUID) error {
			return tr.StartTransfer(uuid.New(), countyA, nil, "x", sender, now)
		}, domain.ErrValidation},
		{"start to an unknown county", func(tr *teacher.Teacher, _ uuid.UUID) error {
			return tr.StartTransfer(uuid.New(), "139999", nil, "x", sender, now)
		}, domain.ErrValidation},
		{"start naming a unit of another county", func(tr *teacher.Teacher, _ uuid.UUID) error {
			return tr.StartTransfer(uuid.New(), countyB, &other, "x", sender, now)
		}, domain.ErrValidation},
		{"start without reason", func(tr *teacher.Teacher, _ uuid.UUID) error {
			return tr.StartTransfer(uuid.New(), countyB, nil, "", sender, now)
		}, domain.ErrValidation},
		{"reject by the receiver", func(tr *teacher.Teacher, open uuid.UUID) error {
			return tr.RejectTransfer(open, receiver, "编制已满", now)
		}, nil},
		{"reject by the sender", func(tr *teacher.Teacher, open uuid.UUID) error {
			return tr.RejectTransfer(open, sender, "x", now)
		}, teacher.ErrTransferNeedsReceivingAdmin},
		{"cancel by the sender", func(tr *teacher.Teacher, open uuid.UUID) error {
			return tr.CancelTransfer(open, sender, "调动取消", now)
		}, nil},
		{"cancel by the receiver", func(tr *teacher.Teacher, open uuid.UUID) error {
			return tr.CancelTransfer(open, receiver, "x", now)
		}, teacher.ErrTransferNeedsSendingAdmin},
		{"accept unknown", func(tr *teacher.Teacher, _ uuid.UUID) error {
			return tr.AcceptTransfer(uuid.New(), unitIn(countyB, "x学校"), receiver, now)
		}, teacher.ErrTransferNotFound},
		{"accept with no unit anywhere", func(tr *teacher.Teacher, open uuid.UUID) error {
			return tr.AcceptTransfer(open, teacher.UnitRef{}, receiver, now)
		}, domain.ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, _ := registered(t)
			open := uuid.New()
			if strings.HasPrefix(tt.name, "start ") {
				open = uuid.Nil // starting needs no open transfer
			} else if err := tr.StartTransfer(open, countyB, nil, "工作调动", sender, now); err != nil {
				t.Fatal(err)
			}
			mark := len(tr.Changes())
			err := tt.step(tr, open)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("err = %v, want %v", err, tt.wantIs)
			}
			if err != nil && len(since(tr, mark)) != 0 {
				t.Error("events recorded on refusal")
			}
			if err == nil {
				if _, stillOpen := saved(t, tr).OpenTransfer(); stillOpen {
					t.Error("transfer still open after decision")
				}
				if tr.County() != countyA {
					t.Errorf("county = %s after a refused transfer", tr.County())
				}
				// A closed transfer cannot be decided again, and a new one may start.
				if err := tr.CancelTransfer(open, sender, "x", now); !errors.Is(err, teacher.ErrNoOpenTransfer) {
					t.Errorf("cancel closed: %v", err)
				}
				if err := tr.StartTransfer(uuid.New(), countyB, nil, "再次调动", sender, now); err != nil {
					t.Errorf("new transfer after close: %v", err)
				}
			}
		})
	}
}
