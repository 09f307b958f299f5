package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/teacher"
)

// TeacherProfileProjection keeps teacher_profiles: one row per teacher with
// every Profile field as it stands now. Column names are the Profile's
// field names (teacher.Fields()), so a field edit is one UPDATE of the
// column the event names.
type TeacherProfileProjection struct{}

func (TeacherProfileProjection) Name() string     { return "teacher_profile" }
func (TeacherProfileProjection) Tables() []string { return []string{"teacher_profiles"} }

// profileColumns are the Profile's fields in display order; unit_id is a
// uuid column, the rest text.
var profileColumns = teacher.Fields()

func (TeacherProfileProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	id, ok := streamID(env.Stream, "teacher")
	if !ok {
		return nil
	}
	at := occurredAt(env)
	rev := int64(env.Revision)
	if e, ok := env.Event.(*teacher.Registered); ok {
		return insertProfile(ctx, tx, id, rev, at, e)
	}
	// Every later event moves the revision, including types this code does
	// not read, because clients send it back as If-Match. The guard
	// revision < $2 makes a repeated event a no-op.
	set, args, err := profileChange(env.Event)
	if err != nil {
		return err
	}
	sets := append([]string{"revision = $2", "updated_at = $3"}, set...)
	sql := fmt.Sprintf(`UPDATE teacher_profiles SET %s WHERE teacher_id = $1 AND revision < $2`, strings.Join(sets, ", "))
	if _, err := tx.Exec(ctx, sql, append([]any{id, rev, at}, args...)...); err != nil {
		return fmt.Errorf("teacher profile %s: %w", id, err)
	}
	return nil
}

func insertProfile(ctx context.Context, tx pgx.Tx, id uuid.UUID, rev int64, at time.Time, e *teacher.Registered) error {
	unitID, err := parseUnitID(e.Profile.UnitID)
	if err != nil {
		return err
	}
	cols := []string{"teacher_id", "revision", "registered_at", "updated_at", "unit_name", "certificate_override"}
	args := []any{id, rev, at, at, e.UnitName, e.CertificateOverride}
	for _, f := range profileColumns {
		cols = append(cols, pgx.Identifier{f}.Sanitize())
		if f == teacher.FieldUnit {
			args = append(args, unitID)
		} else {
			args = append(args, e.Profile.Get(f))
		}
	}
	ph := make([]string, len(args))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	sql := fmt.Sprintf(`INSERT INTO teacher_profiles (%s) VALUES (%s) ON CONFLICT (teacher_id) DO NOTHING`,
		strings.Join(cols, ", "), strings.Join(ph, ", "))
	if _, err := tx.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("teacher profile %s: register: %w", id, err)
	}
	return nil
}

// profileChange returns the SET clauses an event adds, numbered from $4.
func profileChange(ev event.Event) ([]string, []any, error) {
	switch e := ev.(type) {
	case *teacher.OrdinaryFieldEdited:
		return setField(e.Field, e.New, "")
	case *teacher.KeyFieldCorrected:
		return setField(e.Field, e.New, e.NewLabel)
	case *teacher.CorrectionRequested:
		return []string{"open_corrections = open_corrections + 1"}, nil, nil
	case *teacher.CorrectionApproved, *teacher.CorrectionRejected, *teacher.CorrectionWithdrawn:
		return []string{"open_corrections = greatest(open_corrections - 1, 0)"}, nil, nil
	case *teacher.TransferStarted:
		return []string{"open_transfer_id = $4"}, []any{e.TransferID}, nil
	case *teacher.TransferAccepted:
		unitID, err := parseUnitID(e.ToUnitID)
		if err != nil {
			return nil, nil, err
		}
		return []string{"open_transfer_id = NULL", "city = $4", "county = $5", "unit_id = $6", "unit_name = $7"},
			[]any{e.ToCity, e.ToCounty, unitID, e.ToUnitName}, nil
	case *teacher.TransferRejected, *teacher.TransferCancelled:
		return []string{"open_transfer_id = NULL"}, nil, nil
	case *teacher.TransferredOut:
		return []string{"open_transfer_id = NULL", "transferred_out_to = $4"}, []any{e.ToCounty}, nil
	}
	return nil, nil, nil
}

func setField(field, value, label string) ([]string, []any, error) {
	if !isProfileColumn(field) {
		// A field this build does not know yet: fail so the event is
		// parked and the gap is visible, rather than silently lost.
		return nil, nil, fmt.Errorf("unknown profile field %q", field)
	}
	if field == teacher.FieldUnit {
		unitID, err := parseUnitID(value)
		if err != nil {
			return nil, nil, err
		}
		return []string{"unit_id = $4", "unit_name = $5"}, []any{unitID, label}, nil
	}
	return []string{pgx.Identifier{field}.Sanitize() + " = $4"}, []any{value}, nil
}

func isProfileColumn(field string) bool {
	for _, f := range profileColumns {
		if f == field {
			return true
		}
	}
	return false
}

// TeacherProfile is a teacher's record as the API shows it: every Profile
// value in full (MaskedCopy hides what lists must not show), the unit's
// official name, school area and category (a property of the unit, joined
// from the units read model), and the record's bookkeeping.
type TeacherProfile struct {
	TeacherID uuid.UUID `json:"teacher_id"`
	// Revision is the stream revision of the last event applied: send it
	// back as If-Match.
	Revision uint64          `json:"revision"`
	Profile  teacher.Profile `json:"profile"`

	UnitName            string `json:"unit_name"`
	CityName            string `json:"city_name"`
	CountyName          string `json:"county_name"`
	SchoolArea          string `json:"school_area"`
	SchoolAreaLabel     string `json:"school_area_label"`
	SchoolCategory      string `json:"school_category"`
	SchoolCategoryLabel string `json:"school_category_label"`

	// CertificateOverride is the admin's reason for accepting a legacy
	// certificate number at registration, "" when it fits the layout.
	CertificateOverride string     `json:"certificate_override,omitempty"`
	OpenCorrections     int        `json:"open_corrections"`
	OpenTransferID      *uuid.UUID `json:"open_transfer_id,omitempty"`
	// TransferredOutTo is the county outside Hebei the teacher left for
	// (the record is read-only); StatusLabel says 已调出本省 then.
	TransferredOutTo string    `json:"transferred_out_to,omitempty"`
	StatusLabel      string    `json:"status_label,omitempty"`
	RegisteredAt     time.Time `json:"registered_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// MaskedCopy hides the ID number and mobile, for lists, exports and roles
// that may not see them in full.
// An erased value (teacher.ErasedValue) stays as it reads.
func (p TeacherProfile) MaskedCopy() TeacherProfile {
	if p.Profile.IDNumber != teacher.ErasedValue {
		p.Profile.IDNumber = ident.MaskID(p.Profile.IDNumber)
	}
	if p.Profile.Mobile != teacher.ErasedValue {
		p.Profile.Mobile = ident.MaskMobile(p.Profile.Mobile)
	}
	return p
}

// profileSelect reads teacher_profiles p joined with units u; the
// profile's own columns follow the fixed ones in profileColumns order.
var profileSelect = func() string {
	cols := make([]string, len(profileColumns))
	for i, f := range profileColumns {
		if f == teacher.FieldUnit {
			cols[i] = "coalesce(p.unit_id::text, '')"
		} else {
			cols[i] = "p." + pgx.Identifier{f}.Sanitize()
		}
	}
	return `SELECT p.teacher_id, p.revision, coalesce(u.name, p.unit_name),
		coalesce(u.area_code, ''), coalesce(u.area_label, ''),
		coalesce(u.category_code, ''), coalesce(u.category_label, ''),
		p.certificate_override, p.open_corrections, p.open_transfer_id, p.transferred_out_to, p.registered_at, p.updated_at, ` +
		strings.Join(cols, ", ") + `
		FROM teacher_profiles p LEFT JOIN units u ON u.unit_id = p.unit_id`
}()

func scanProfile(row pgx.Row) (TeacherProfile, error) {
	var tp TeacherProfile
	var rev int64
	dest := []any{&tp.TeacherID, &rev, &tp.UnitName, &tp.SchoolArea, &tp.SchoolAreaLabel,
		&tp.SchoolCategory, &tp.SchoolCategoryLabel, &tp.CertificateOverride, &tp.OpenCorrections,
		&tp.OpenTransferID, &tp.TransferredOutTo, &tp.RegisteredAt, &tp.UpdatedAt}
	for _, f := range profileColumns {
		ptr := profileField(&tp.Profile, f)
		if ptr == nil {
			return TeacherProfile{}, fmt.Errorf("profile field %q has no destination", f)
		}
		dest = append(dest, ptr)
	}
	if err := row.Scan(dest...); err != nil {
		return TeacherProfile{}, err
	}
	tp.Revision = uint64(rev)
	tp.RegisteredAt, tp.UpdatedAt = tp.RegisteredAt.UTC(), tp.UpdatedAt.UTC()
	tp.CityName = regionName(tp.Profile.City)
	tp.CountyName = regionName(tp.Profile.County)
	if tp.TransferredOutTo != "" {
		tp.StatusLabel = teacher.TransferredOutLabel
	}
	return tp, nil
}

// Profile returns one teacher's record; an unknown id is an error matching
// domain.ErrNotFound.
func (q *TeacherQueries) Profile(ctx context.Context, id uuid.UUID) (TeacherProfile, error) {
	tp, err := scanProfile(q.pool.QueryRow(ctx, profileSelect+` WHERE p.teacher_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return TeacherProfile{}, fmt.Errorf("teacher %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return TeacherProfile{}, fmt.Errorf("teacher %s: %w", id, err)
	}
	return tp, nil
}

// profileField points at the Profile value of field. teacher keeps its own
// field table private; this switch is the projection's copy of it, and a
// test checks that it covers teacher.Fields().
func profileField(p *teacher.Profile, field string) *string {
	switch field {
	case teacher.FieldName:
		return &p.Name
	case teacher.FieldIDType:
		return &p.IDType
	case teacher.FieldIDNumber:
		return &p.IDNumber
	case teacher.FieldGender:
		return &p.Gender
	case teacher.FieldBirthDate:
		return &p.BirthDate
	case teacher.FieldCity:
		return &p.City
	case teacher.FieldCounty:
		return &p.County
	case teacher.FieldUnit:
		return &p.UnitID
	case teacher.FieldWorkStart:
		return &p.WorkStart
	case teacher.FieldCertificateType:
		return &p.CertificateType
	case teacher.FieldCertificateNumber:
		return &p.CertificateNumber
	case teacher.FieldFormerName:
		return &p.FormerName
	case teacher.FieldEthnicity:
		return &p.Ethnicity
	case teacher.FieldPoliticalStatus:
		return &p.PoliticalStatus
	case teacher.FieldNativePlace:
		return &p.NativePlace
	case teacher.FieldMaritalStatus:
		return &p.MaritalStatus
	case teacher.FieldMainStage:
		return &p.MainStage
	case teacher.FieldMainSubject:
		return &p.MainSubject
	case teacher.FieldInitialEducation:
		return &p.InitialEducation
	case teacher.FieldHighestEducation:
		return &p.HighestEducation
	case teacher.FieldHighestDegree:
		return &p.HighestDegree
	case teacher.FieldFundedNormal:
		return &p.FundedNormal
	case teacher.FieldFundedNormalYear:
		return &p.FundedNormalYear
	case teacher.FieldSpecialPost:
		return &p.SpecialPost
	case teacher.FieldSpecialPostYear:
		return &p.SpecialPostYear
	case teacher.FieldOnStaff:
		return &p.OnStaff
	case teacher.FieldPostCategory:
		return &p.PostCategory
	case teacher.FieldProfessionalTitle:
		return &p.ProfessionalTitle
	case teacher.FieldBackboneLevel:
		return &p.BackboneLevel
	case teacher.FieldMobile:
		return &p.Mobile
	case teacher.FieldEmail:
		return &p.Email
	case teacher.FieldCertificatePhoto:
		return &p.CertificatePhoto
	case teacher.FieldAvatar:
		return &p.Avatar
	}
	return nil
}
