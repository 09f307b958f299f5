package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/domain/registration"
)

// RegistrationStatus is a teacher's registration as the decisions have it.
type RegistrationStatus struct {
	TeacherID         uuid.UUID              `json:"teacher_id"`
	Name              string                 `json:"name"`
	IDNumber          string                 `json:"id_number"`
	County            string                 `json:"county"`
	Unit              string                 `json:"unit"`
	FirstRegisteredOn string                 `json:"first_registered_on,omitempty"`
	LastRegisteredOn  string                 `json:"last_registered_on,omitempty"`
	LastOutcome       string                 `json:"last_outcome,omitempty"`
	LastOutcomeLabel  string                 `json:"last_outcome_label,omitempty"`
	LastDecidedOn     string                 `json:"last_decided_on,omitempty"`
	PolicyVersion     string                 `json:"policy_version,omitempty"`
	Decisions         []RegistrationDecision `json:"decisions,omitempty"`
}

// RegistrationDecision is one recorded decision.
type RegistrationDecision struct {
	DecisionID     uuid.UUID             `json:"decision_id"`
	Kind           string                `json:"kind"`
	Outcome        string                `json:"outcome"`
	OutcomeLabel   string                `json:"outcome_label"`
	CheckOutcome   string                `json:"check_outcome,omitempty"`
	CycleStart     string                `json:"cycle_start,omitempty"`
	CycleEnd       string                `json:"cycle_end,omitempty"`
	CheckedAsOf    string                `json:"checked_as_of,omitempty"`
	PolicyVersion  string                `json:"policy_version"`
	PolicyScope    string                `json:"policy_scope"`
	Reasons        []registration.Reason `json:"reasons"`
	EvidenceDigest string                `json:"evidence_digest,omitempty"`
	Note           string                `json:"note,omitempty"`
	DecidedOn      string                `json:"decided_on"`
	DecidedBy      string                `json:"decided_by,omitempty"`
	RecordedAt     time.Time             `json:"recorded_at"`
}

func dateString(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

const statusColumns = `t.teacher_id, t.name, t.id_number, t.county, t.unit_name, s.first_registered_on, s.last_registered_on,
	COALESCE(s.last_outcome, ''), s.last_decided_on, COALESCE(s.last_policy_version, '')`

func scanStatus(row pgx.Row) (RegistrationStatus, error) {
	var s RegistrationStatus
	var first, last, decided *time.Time
	if err := row.Scan(&s.TeacherID, &s.Name, &s.IDNumber, &s.County, &s.Unit, &first, &last, &s.LastOutcome, &decided, &s.PolicyVersion); err != nil {
		return RegistrationStatus{}, err
	}
	s.FirstRegisteredOn, s.LastRegisteredOn, s.LastDecidedOn = dateString(first), dateString(last), dateString(decided)
	if s.LastOutcome != "" {
		s.LastOutcomeLabel = registration.Outcome(s.LastOutcome).Label()
	}
	return s, nil
}

// RegistrationStatus returns one teacher's status with every decision.
func (q *CreditQueries) RegistrationStatus(ctx context.Context, teacherID uuid.UUID) (RegistrationStatus, error) {
	s, err := scanStatus(q.pool.QueryRow(ctx, `SELECT `+statusColumns+` FROM credit_teachers t
		LEFT JOIN registration_status s USING (teacher_id) WHERE t.teacher_id = $1`, teacherID))
	if errors.Is(err, pgx.ErrNoRows) {
		// Not yet in the read model: the caller authorized the teacher,
		// who simply has no decision visible yet.
		s = RegistrationStatus{TeacherID: teacherID}
	} else if err != nil {
		return RegistrationStatus{}, fmt.Errorf("registration status: %w", err)
	}
	rows, err := q.pool.Query(ctx, `SELECT decision_id, kind, outcome, check_outcome, cycle_start, cycle_end, checked_as_of,
			policy_version, policy_scope, reasons, evidence_digest, note, decided_on, decided_by_name, recorded_at
		FROM registration_decisions WHERE teacher_id = $1 ORDER BY decided_on, recorded_at`, teacherID)
	if err != nil {
		return RegistrationStatus{}, fmt.Errorf("registration decisions: %w", err)
	}
	defer rows.Close()
	s.Decisions = []RegistrationDecision{}
	for rows.Next() {
		var d RegistrationDecision
		var cs, ce, ca *time.Time
		var decided time.Time
		var reasons []byte
		if err := rows.Scan(&d.DecisionID, &d.Kind, &d.Outcome, &d.CheckOutcome, &cs, &ce, &ca, &d.PolicyVersion, &d.PolicyScope,
			&reasons, &d.EvidenceDigest, &d.Note, &decided, &d.DecidedBy, &d.RecordedAt); err != nil {
			return RegistrationStatus{}, fmt.Errorf("registration decisions: %w", err)
		}
		if err := json.Unmarshal(reasons, &d.Reasons); err != nil {
			return RegistrationStatus{}, fmt.Errorf("registration decisions: %w", err)
		}
		d.CycleStart, d.CycleEnd, d.CheckedAsOf = dateString(cs), dateString(ce), dateString(ca)
		d.DecidedOn = decided.Format(time.DateOnly)
		d.OutcomeLabel = registration.Outcome(d.Outcome).Label()
		out := d
		s.Decisions = append(s.Decisions, out)
	}
	return s, rows.Err()
}

// RegistrationFilter selects teachers of a jurisdiction.
type RegistrationFilter struct {
	Jurisdiction string
	// Outcome filters by the last decision's outcome; "none" is teachers
	// without any decision.
	Outcome string
	Limit   int
	Offset  int
}

// RegistrationStatuses lists the registration status of the teachers of a
// jurisdiction, by county and name.
func (q *CreditQueries) RegistrationStatuses(ctx context.Context, f RegistrationFilter) ([]RegistrationStatus, error) {
	limit, offset, err := pageBounds(f.Limit, f.Offset)
	if err != nil {
		return nil, err
	}
	lo, hi, err := regionRange("jurisdiction", f.Jurisdiction)
	if err != nil {
		return nil, err
	}
	where, args := "t.county >= $1 AND t.county < $2", []any{lo, hi}
	switch f.Outcome {
	case "":
	case "none":
		where += " AND s.teacher_id IS NULL"
	default:
		args = append(args, f.Outcome)
		where += fmt.Sprintf(" AND s.last_outcome = $%d", len(args))
	}
	args = append(args, limit, offset)
	rows, err := q.pool.Query(ctx, `SELECT `+statusColumns+` FROM credit_teachers t LEFT JOIN registration_status s USING (teacher_id)
		WHERE `+where+fmt.Sprintf(` ORDER BY t.county, t.name, t.teacher_id LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("registration statuses: %w", err)
	}
	defer rows.Close()
	out := []RegistrationStatus{}
	for rows.Next() {
		s, err := scanStatus(rows)
		if err != nil {
			return nil, fmt.Errorf("registration statuses: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// TeachersIn lists the ids of a jurisdiction's teachers, for a batch check.
func (q *CreditQueries) TeachersIn(ctx context.Context, jurisdiction string, max int) ([]uuid.UUID, error) {
	lo, hi, err := regionRange("county", jurisdiction)
	if err != nil {
		return nil, err
	}
	rows, err := q.pool.Query(ctx, `SELECT teacher_id FROM credit_teachers WHERE county >= $1 AND county < $2
		ORDER BY county, name, teacher_id LIMIT $3`, lo, hi, max+1)
	if err != nil {
		return nil, fmt.Errorf("teachers in %s: %w", jurisdiction, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("teachers in %s: %w", jurisdiction, err)
	}
	return ids, nil
}

// Studio is a studio as lists show it.
type Studio struct {
	StudioID      uuid.UUID `json:"studio_id"`
	Name          string    `json:"name"`
	HostTeacherID uuid.UUID `json:"host_teacher_id"`
	HostName      string    `json:"host_name"`
	Region        string    `json:"region"`
	Subject       string    `json:"subject,omitempty"`
	Description   string    `json:"description,omitempty"`
	Closed        bool      `json:"closed"`
	Members       int       `json:"members"`
	Followers     int       `json:"followers"`
	Member        bool      `json:"member"`
	Follower      bool      `json:"follower"`
	CreatedAt     time.Time `json:"created_at"`
}

// Studios lists the studios designated in a region and above it (a county
// teacher sees the province's, the city's and the county's), marking the
// teacher's memberships; mine restricts it to the ones the teacher joined
// or follows, wherever they are.
func (q *CreditQueries) Studios(ctx context.Context, region string, teacherID uuid.UUID, mine bool) ([]Studio, error) {
	where, args := "", []any{teacherID}
	switch {
	case mine:
		where = "(m.member OR m.follower)"
	case teacherID == uuid.Nil:
		// An admin: every studio inside the jurisdiction.
		lo, hi, err := regionRange("region", region)
		if err != nil {
			return nil, err
		}
		args = append(args, lo, hi)
		where = "s.region >= $2 AND s.region < $3"
	default:
		var scopes []string
		for _, n := range []int{2, 4, 6} {
			if len(region) >= n {
				scopes = append(scopes, region[:n])
			}
		}
		args = append(args, scopes)
		where = "s.region = ANY($2)"
	}
	rows, err := q.pool.Query(ctx, `SELECT s.studio_id, s.name, s.host_teacher_id, s.host_name, s.region, s.subject, s.description,
			s.closed, s.created_at,
			(SELECT count(*) FROM studio_memberships x WHERE x.studio_id = s.studio_id AND x.member),
			(SELECT count(*) FROM studio_memberships x WHERE x.studio_id = s.studio_id AND x.follower),
			COALESCE(m.member, false), COALESCE(m.follower, false)
		FROM studios s LEFT JOIN studio_memberships m ON m.studio_id = s.studio_id AND m.teacher_id = $1
		WHERE `+where+` ORDER BY s.region, s.name, s.studio_id LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("studios: %w", err)
	}
	defer rows.Close()
	out := []Studio{}
	for rows.Next() {
		var s Studio
		if err := rows.Scan(&s.StudioID, &s.Name, &s.HostTeacherID, &s.HostName, &s.Region, &s.Subject, &s.Description, &s.Closed,
			&s.CreatedAt, &s.Members, &s.Followers, &s.Member, &s.Follower); err != nil {
			return nil, fmt.Errorf("studios: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
