package commands

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/claim"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/enrollment"
	"github.com/hbte/record/domain/integrity"
	"github.com/hbte/record/domain/project"
	"github.com/hbte/record/eventstore"
)

// certSerialKind names the claims that make up a certificate-serial counter.
const certSerialKind = "certificate_serial"

// CertSerialStream is the counter of certificate serials for one year and
// training category. Each serial is one claim.Claimed event whose owner is
// the certificate it numbers; the serial is the event's revision + 1.
// Appending with the exact expected revision keeps serials unique on every
// backend. Only the stream's last event is read, so taking a serial costs
// the same whatever the year's count.
func CertSerialStream(year int, category project.Category) string {
	return fmt.Sprintf("certserial-%04d-%02d", year, int(category))
}

var certNamespace = uuid.MustParse("3c1f9a0e-7d2b-4e8f-a6c5-1b9e0d4f2a77")

// serialAttempts bounds the retries when other issues take serials at the
// same moment.
const serialAttempts = 50

// certificateSerial takes the serial of the n-th certificate of an
// enrollment (n counts earlier revoked ones, so a certificate issued again
// after a corrected grade gets a new number). A retry right after a lost
// answer finds its own claim at the end of the stream; a retry after other
// issues took serials takes a new one, leaving a gap, which is harmless:
// only the enrollment's single certificate event makes a number valid.
func (h *Handlers) certificateSerial(ctx context.Context, actor access.Actor, year int, cat project.Category, eid uuid.UUID, n int) (int, error) {
	owner := uuid.NewSHA1(certNamespace, []byte(eid.String()+"/"+strconv.Itoa(n)))
	stream := CertSerialStream(year, cat)
	meta, err := json.Marshal(h.plainWrite(ctx, actor).Meta)
	if err != nil {
		return 0, err
	}
	name, data, err := h.Repo.reg.Encode(&claim.Claimed{Kind: certSerialKind, Owner: owner})
	if err != nil {
		return 0, err
	}
	store := h.Repo.Store()
	for attempt := 0; attempt < serialAttempts; attempt++ {
		expected, next, prev := eventstore.NoStream(), 1, integrity.Zero
		last, err := store.ReadStream(ctx, stream, eventstore.ReadOptions{Direction: eventstore.Backwards, FromEnd: true, Max: 1})
		switch {
		case errors.Is(err, eventstore.ErrStreamNotFound):
		case err != nil:
			return 0, fmt.Errorf("certificate serial: %w", err)
		case len(last) == 1:
			env, err := Decode(h.Repo.reg, last[0])
			if err != nil {
				return 0, fmt.Errorf("certificate serial: %w", err)
			}
			if c, ok := env.Event.(*claim.Claimed); ok && c.Owner == owner {
				return int(last[0].Revision) + 1, nil
			}
			expected, next, prev = eventstore.Exact(last[0].Revision), int(last[0].Revision)+2, RecordedHash(last[0])
		}
		if next > enrollment.MaxSerial {
			return 0, fmt.Errorf("certificate serials exhausted: %w", enrollment.ErrCertificateNumber)
		}
		id := uuid.New()
		sealed, _, err := integrity.Seal(prev, id, stream, uint64(next-1), name, data, meta)
		if err != nil {
			return 0, fmt.Errorf("certificate serial: %w", err)
		}
		_, err = store.Append(ctx, stream, expected, eventstore.EventData{ID: id, Type: name, Data: data, Metadata: sealed})
		if err == nil {
			return next, nil
		}
		if !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			return 0, fmt.Errorf("certificate serial: %w", err)
		}
	}
	return 0, fmt.Errorf("certificate serial %s: %w", stream, &ConflictError{Stream: stream, Current: -1})
}

// complete brings the teacher's credit ledger and certificate in line with
// the enrollment's grade: a pass with credits granted reaches the ledger
// and gets a certificate; credits revoked by a correction leave the ledger.
// Every step is idempotent, so calling it again after an interruption
// finishes the job without doing anything twice.
//
// It returns the global position of its last write (zero when it wrote
// nothing), so the caller can offer read-your-writes over all of it.
func (h *Handlers) complete(ctx context.Context, actor access.Actor, e *enrollment.Enrollment) (eventstore.Position, error) {
	var last eventstore.Position
	bump := func(p eventstore.Position) {
		if last.Less(p) {
			last = p
		}
	}
	if e.Stage() != enrollment.StageGraded {
		return last, nil
	}
	ctx = secondary(ctx)
	p, err := h.LoadProject(ctx, e.ProjectID())
	if err != nil {
		return last, err
	}
	stream := enrollment.StreamName(e.ID())
	// The ledger accepts project grants from the institution that graded,
	// or from the system reacting to a grade; an owner's correction is
	// such a reaction, and its metadata still names the admin.
	granter := actor
	if actor.Role != access.RoleInstitution {
		granter = access.Actor{UserID: actor.UserID, Role: access.RoleSystem, Name: actor.Name}
	}
	key := credit.Source{Kind: credit.SourceProject, EnrollmentID: e.ID()}.Key()
	if g, ok := e.Credits(); ok {
		env, _, err := h.lastEvent(ctx, stream, (&enrollment.CreditsGranted{}).EventType())
		if err != nil {
			return last, err
		}
		gr, err := h.GrantProjectCredits(ctx, granter, e.TeacherID(), credit.Grant{
			Year: g.Year, CompletedOn: p.Details().End, Level: credit.Level(strconv.Itoa(int(g.Level))),
			Category: creditCategory(p.Kind()), Hours: credit.Whole(g.Hours), Credits: credit.FromFloat(g.Credits), Title: p.Details().Name,
			Source: credit.Source{Kind: credit.SourceProject, EnrollmentID: e.ID(), ProjectID: e.ProjectID(), EventID: env.ID},
			At:     h.Now().UTC(),
		})
		if err != nil {
			return last, fmt.Errorf("grant credits: %w", err)
		}
		bump(gr.Position)
	} else {
		l, err := h.LoadLedger(ctx, e.TeacherID())
		if err != nil {
			return last, err
		}
		if _, live := l.Lookup(key); live {
			env, found, err := h.lastEvent(ctx, stream, (&enrollment.CreditsRevoked{}).EventType())
			if err != nil {
				return last, err
			}
			reason := "成绩更正为不合格"
			if found {
				reason = env.Event.(*enrollment.CreditsRevoked).Reason
			}
			rr, err := h.RevokeProjectCredits(ctx, granter, e.TeacherID(), e.ID(), reason, env.ID)
			if err != nil {
				return last, fmt.Errorf("revoke credits: %w", err)
			}
			bump(rr.Position)
		}
	}
	if _, has := e.Certificate(); has || !e.Passed() {
		return last, nil
	}
	if _, ok := e.Credits(); !ok {
		return last, nil
	}
	if enrollment.ClassEnded(p, h.Now()) != nil {
		// The certificate waits for the class's last day; finishing the
		// project or posting the grade again then issues it.
		return last, nil
	}
	revoked := 0
	for _, s := range e.Steps() {
		if s.Type == (&enrollment.CertificateRevoked{}).EventType() {
			revoked++
		}
	}
	serial, err := h.certificateSerial(ctx, actor, p.Details().Year, p.Category(), e.ID(), revoked)
	if err != nil {
		return last, err
	}
	number, err := enrollment.CertificateNumber(p.Details().Year, p.Category(), serial)
	if err != nil {
		return last, err
	}
	random := make([]byte, enrollment.VerificationCodeBytes)
	if _, err := rand.Read(random); err != nil {
		return last, fmt.Errorf("verification code: %w", err)
	}
	code, err := enrollment.VerificationCode(random)
	if err != nil {
		return last, err
	}
	_, res, err := Update(ctx, h.Repo, stream, freshEnrollment, false, h.plainWrite(ctx, actor),
		func(e *enrollment.Enrollment) error {
			if _, has := e.Certificate(); has {
				return nil // issued by a concurrent retry
			}
			return e.IssueCertificate(actor, p, number, code, h.Now())
		})
	if err != nil {
		return last, fmt.Errorf("issue certificate: %w", err)
	}
	bump(res.Position)
	return last, nil
}

// creditCategory: school-based training counts as school-based study, every
// other project as training.
func creditCategory(k project.Kind) credit.Category {
	if k == project.KindSchool {
		return credit.CategorySchoolBased
	}
	return credit.CategoryTraining
}
