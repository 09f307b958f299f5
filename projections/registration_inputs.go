package projections

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/registration"
	"github.com/hbte/record/domain/teacher"
)

// RegistrationInputsProjection keeps the inputs of the registration check
// of every teacher (registration.Subject) as the record stands: who the
// teacher is (county, name, ID number, the profile fields a policy may
// exempt), the decisions' dates and outcome, every ledger entry with what
// the check reads of it (hours and credits exact, revoked, held, confirmed
// duplicate), the appraisal and ethics results per year, the live
// absences, the days fitness was confirmed and a revocation. Each event
// changes the rows as the aggregate's Apply changes its state, so a batch
// check of the record as it stands (commands.CheckRegistrations with
// Deps.Subjects) evaluates the same inputs as a replay, without one.
type RegistrationInputsProjection struct{}

func (RegistrationInputsProjection) Name() string { return "registration_inputs" }
func (RegistrationInputsProjection) Tables() []string {
	return []string{"regcheck_teachers", "regcheck_entries", "regcheck_years", "regcheck_absences"}
}

// regcheckFields are the teacher fields the projection keeps, each a column
// of regcheck_teachers of the same name.
var regcheckFields = append([]string{teacher.FieldName, teacher.FieldIDNumber, teacher.FieldCounty}, teacher.CategoryFields...)

var insertRegcheckEntry = newBulkInsert("regcheck_entries",
	[]string{"teacher_id", "seq", "entry_id", "key", "year", "completed_on", "level", "category",
		"hours_milli", "credits_milli", "title", "held"},
	"ON CONFLICT (teacher_id, seq) DO NOTHING")

func (RegistrationInputsProjection) Apply(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	if err := applyRegistrationInputs(ctx, tx, env); err != nil {
		return fmt.Errorf("registration_inputs: %s: %w", env.Type, err)
	}
	return nil
}

func applyRegistrationInputs(ctx context.Context, tx pgx.Tx, env event.Envelope) error {
	var err error
	switch e := env.Event.(type) {
	// The teacher record (teacher.Teacher.Apply).
	case *teacher.Registered:
		id, ok := streamID(env.Stream, "teacher")
		if !ok {
			return nil
		}
		args := []any{id}
		for _, f := range regcheckFields {
			args = append(args, e.Profile.Get(f))
		}
		_, err = tx.Exec(ctx, registerTeacherSQL, args...)
	case *teacher.OrdinaryFieldEdited:
		err = setTeacherField(ctx, tx, env.Stream, e.Field, e.New)
	case *teacher.KeyFieldCorrected:
		err = setTeacherField(ctx, tx, env.Stream, e.Field, e.New)
	case *teacher.TransferAccepted:
		err = setTeacherField(ctx, tx, env.Stream, teacher.FieldCounty, e.ToCounty)
	case *teacher.Erased:
		// The personal fields of every earlier event now read so.
		if id, ok := streamID(env.Stream, "teacher"); ok {
			_, err = tx.Exec(ctx, `UPDATE regcheck_teachers SET name = $2, id_number = $2 WHERE teacher_id = $1`, id, teacher.ErasedValue)
		}

	// The decisions (registration.Registration.Apply).
	case *registration.Decided:
		id, ok := streamID(env.Stream, "registration")
		if !ok {
			return nil
		}
		var first, last *time.Time
		on := dateOnly(e.DecidedOn)
		if e.Kind == registration.KindFirst {
			first = &on
		}
		if e.Outcome == registration.OutcomePass {
			last = &on
		}
		_, err = tx.Exec(ctx, `INSERT INTO regcheck_teachers (teacher_id, first_registered_on, last_registered_on, last_outcome, last_decided_on)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (teacher_id) DO UPDATE SET
				first_registered_on = COALESCE(regcheck_teachers.first_registered_on, $2),
				last_registered_on = COALESCE($3, regcheck_teachers.last_registered_on),
				last_outcome = $4, last_decided_on = $5`, id, first, last, string(e.Outcome), on)

	// The facts (registration.Facts.Apply). Fitness is kept as a set: the
	// check asks only whether a day of the cycle has one.
	case *registration.AbsenceRecorded:
		id, ok := streamID(env.Stream, "regfacts")
		if !ok {
			return nil
		}
		var until *time.Time
		if !e.Until.IsZero() {
			u := dateOnly(e.Until)
			until = &u
		}
		_, err = tx.Exec(ctx, `INSERT INTO regcheck_absences (teacher_id, absence_id, seq, from_on, until_on, approved, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (teacher_id, absence_id) DO NOTHING`,
			id, e.AbsenceID, int64(env.Revision), dateOnly(e.From), until, e.Approved, e.Note)
	case *registration.AbsenceWithdrawn:
		id, ok := streamID(env.Stream, "regfacts")
		if !ok {
			return nil
		}
		_, err = tx.Exec(ctx, `DELETE FROM regcheck_absences WHERE teacher_id = $1 AND absence_id = $2`, id, e.AbsenceID)
	case *registration.FitnessConfirmed:
		id, ok := streamID(env.Stream, "regfacts")
		if !ok {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO regcheck_teachers (teacher_id, fitness) VALUES ($1, ARRAY[$2::date])
			ON CONFLICT (teacher_id) DO UPDATE SET fitness = regcheck_teachers.fitness || $2::date
			WHERE NOT $2::date = ANY(regcheck_teachers.fitness)`, id, dateOnly(e.On))
	case *registration.CertificateRevoked:
		id, ok := streamID(env.Stream, "regfacts")
		if !ok {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO regcheck_teachers (teacher_id, revoked) VALUES ($1, true)
			ON CONFLICT (teacher_id) DO UPDATE SET revoked = true`, id)

	// The ledger (credit.Ledger.Apply).
	case *credit.Granted:
		id, ok := streamID(env.Stream, "credits")
		if !ok {
			return nil
		}
		err = insertRow(ctx, tx, insertRegcheckEntry,
			id, int64(env.Revision), e.EntryID, e.Key, e.Year, dateOnly(e.CompletedOn), string(e.Level), string(e.Category),
			e.Hours.Thousandths(), e.Credits.Thousandths(), e.Title, e.SuspectedDuplicateOf != uuid.Nil)
	case *credit.Revoked:
		id, ok := streamID(env.Stream, "credits")
		if !ok {
			return nil
		}
		// The live entry of the key is the latest granted with it, unless
		// that one is revoked already.
		_, err = tx.Exec(ctx, `UPDATE regcheck_entries SET revoked = true, revoke_reason = $4
			WHERE teacher_id = $1 AND entry_id = $2 AND NOT revoked
			  AND seq = (SELECT max(seq) FROM regcheck_entries WHERE teacher_id = $1 AND key = $3)`,
			id, e.EntryID, e.Key, e.Reason)
	case *credit.DuplicateCleared:
		id, ok := streamID(env.Stream, "credits")
		if !ok {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE regcheck_entries SET held = false, duplicate_reason = $3
			WHERE teacher_id = $1 AND seq = (SELECT min(seq) FROM regcheck_entries WHERE teacher_id = $1 AND entry_id = $2)`,
			id, e.EntryID, e.Reason)
	case *credit.DuplicateConfirmed:
		id, ok := streamID(env.Stream, "credits")
		if !ok {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE regcheck_entries SET held = false, duplicate = true, duplicate_reason = $3
			WHERE teacher_id = $1 AND seq = (SELECT min(seq) FROM regcheck_entries WHERE teacher_id = $1 AND entry_id = $2)`,
			id, e.EntryID, e.Reason)

	// The appraisal record (appraisal.Record.Apply): the last result of a
	// year wins.
	case *appraisal.AnnualRecorded:
		err = setGrade(ctx, tx, env.Stream, e.Year, e.Grade)
	case *appraisal.AnnualCorrected:
		err = setGrade(ctx, tx, env.Stream, e.Year, e.Grade)
	case *appraisal.EthicsRecorded:
		err = setEthics(ctx, tx, env.Stream, e.Year, e.Passed, e.SeriousBreach)
	case *appraisal.EthicsCorrected:
		err = setEthics(ctx, tx, env.Stream, e.Year, e.Passed, e.SeriousBreach)
	}
	return err
}

// registerTeacherSQL inserts or completes a teacher's row with the fields
// of regcheckFields ($2...).
var registerTeacherSQL = func() string {
	cols, vals, sets := "teacher_id, registered", "$1, true", "registered = true"
	for i, f := range regcheckFields {
		c := pgx.Identifier{f}.Sanitize()
		cols += ", " + c
		vals += fmt.Sprintf(", $%d", i+2)
		sets += fmt.Sprintf(", %s = $%d", c, i+2)
	}
	return fmt.Sprintf(`INSERT INTO regcheck_teachers (%s) VALUES (%s) ON CONFLICT (teacher_id) DO UPDATE SET %s
		WHERE NOT regcheck_teachers.registered`, cols, vals, sets)
}()

func setTeacherField(ctx context.Context, tx pgx.Tx, stream, field, value string) error {
	id, ok := streamID(stream, "teacher")
	if !ok || !slices.Contains(regcheckFields, field) {
		return nil // a field the check does not read
	}
	_, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE regcheck_teachers SET %s = $2 WHERE teacher_id = $1`, pgx.Identifier{field}.Sanitize()), id, value)
	return err
}

func setGrade(ctx context.Context, tx pgx.Tx, stream string, year int, g appraisal.Grade) error {
	id, ok := streamID(stream, "appraisal")
	if !ok {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO regcheck_years (teacher_id, year, grade) VALUES ($1, $2, $3)
		ON CONFLICT (teacher_id, year) DO UPDATE SET grade = $3`, id, year, string(g))
	return err
}

func setEthics(ctx context.Context, tx pgx.Tx, stream string, year int, passed, serious bool) error {
	id, ok := streamID(stream, "appraisal")
	if !ok {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO regcheck_years (teacher_id, year, ethics_recorded, ethics_passed, serious_breach) VALUES ($1, $2, true, $3, $4)
		ON CONFLICT (teacher_id, year) DO UPDATE SET ethics_recorded = true, ethics_passed = $3, serious_breach = $4`, id, year, passed, serious)
	return err
}

// dateOnly is the civil date of t, as the domain's dateOf takes it.
func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// RegistrationInputs reads the read model of RegistrationInputsProjection:
// commands.CheckSubjects.
type RegistrationInputs struct {
	pool *pgxpool.Pool
	// sorted: PostgreSQL sorts the entry rows from the start (the path
	// taken when the lookups' rows do not come in order).
	sorted bool
}

// NewRegistrationInputs reads the check's inputs from pool.
func NewRegistrationInputs(pool *pgxpool.Pool) *RegistrationInputs {
	return &RegistrationInputs{pool: pool}
}

// Sorted is q reading the entry rows sorted by PostgreSQL, the fallback
// CheckSubjects takes when a teacher's rows do not come together in grant
// order; tests compare both.
func (q *RegistrationInputs) Sorted() *RegistrationInputs {
	return &RegistrationInputs{pool: q.pool, sorted: true}
}

// CheckSubjects returns the inputs of those of ids the read model holds, in
// four queries (teachers, entries, years, absences) in one snapshot. Of a
// registered teacher's entries and years it returns those the check on
// asOf can count: completed in the current cycle before asOf, years from
// the cycle's first. A teacher without a current registration gets no
// entries or years: the check stops before them.
//
// Each query looks the teachers of ids up one by one in the tables' keys
// (a LATERAL subquery with OFFSET 0, which the planner cannot flatten),
// so it costs in proportion to len(ids), not to the table. Joined on
// `= ANY($1)`, PostgreSQL scanned every table whole for each chunk of a
// batch (at 100,000 teachers, 1.8 M entry rows twenty times over).
func (q *RegistrationInputs) CheckSubjects(ctx context.Context, ids []uuid.UUID, asOf time.Time) (map[uuid.UUID]registration.Subject, error) {
	subs := make(map[uuid.UUID]*registration.Subject, len(ids))
	tx, err := q.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("registration inputs: %w", err)
	}
	defer tx.Rollback(ctx)
	// Each teacher is looked up once: PostgreSQL's Memoize over the
	// lookups only ever misses (entries at 5,000 teachers: 256-276 ms with
	// it, 147-191 ms without).
	if _, err := tx.Exec(ctx, `SET LOCAL enable_memoize = off`); err != nil {
		return nil, fmt.Errorf("registration inputs: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT t.teacher_id, t.registered, t.county, t.name, t.id_number, `+regcheckCategoryColumns+`,
			t.first_registered_on, t.last_registered_on, t.last_outcome, t.last_decided_on, t.fitness, t.revoked
		FROM (SELECT DISTINCT id FROM unnest($1::uuid[]) AS d(id)) u
		CROSS JOIN LATERAL (SELECT * FROM regcheck_teachers t WHERE t.teacher_id = u.id OFFSET 0) t`, ids)
	if err != nil {
		return nil, fmt.Errorf("registration inputs: teachers: %w", err)
	}
	var (
		s                registration.Subject
		first, last, dec *time.Time
		outcome          string
		fitness          []time.Time
	)
	// UUIDs are scanned as their 16 bytes: into a uuid.UUID pgx goes
	// through its sql.Scanner (text, then parsed), a tenth of the batch's
	// CPU for the 1.8 M entry rows of 100,000 teachers.
	var tidB [16]byte
	cats := make([]string, len(teacher.CategoryFields))
	dest := []any{&tidB, &s.Registered, &s.County, &s.Name, &s.IDNumber}
	for i := range cats {
		dest = append(dest, &cats[i])
	}
	dest = append(dest, &first, &last, &outcome, &dec, &fitness, &s.Revoked)
	_, err = pgx.ForEachRow(rows, dest, func() error {
		t := s
		t.TeacherID = tidB
		for i, v := range cats {
			if v != "" {
				t.Categories = append(t.Categories, teacher.CategoryFields[i]+":"+v)
			}
		}
		t.History = registration.History{FirstRegisteredOn: dateOrZero(first), LastRegisteredOn: dateOrZero(last),
			LastOutcome: registration.Outcome(outcome), LastDecidedOn: dateOrZero(dec)}
		if len(fitness) > 0 {
			t.Fitness = slices.Clone(fitness)
		}
		subs[t.TeacherID] = &t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registration inputs: teachers: %w", err)
	}
	// Only teachers with a current registration (History.Registered) have
	// entries and years read, from their registration on; the teacher rows
	// just read say which, in the same snapshot.
	var (
		cur   []uuid.UUID
		since []time.Time
		years []int
	)
	for id, s := range subs {
		if h := s.History; h.Registered() {
			cur, since, years = append(cur, id), append(since, h.LastRegisteredOn), append(years, h.LastRegisteredOn.Year())
		}
	}
	inOrder, err := readEntries(ctx, tx, subs, cur, since, asOf, !q.sorted)
	if err == nil && !inOrder {
		// The rows of a teacher did not come together in grant order (none
		// was kept): read them again, sorted by PostgreSQL.
		_, err = readEntries(ctx, tx, subs, cur, since, asOf, false)
	}
	if err != nil {
		return nil, fmt.Errorf("registration inputs: entries: %w", err)
	}
	// A teacher's years in any order: one row a year, looked up by year.
	rows, err = tx.Query(ctx, `SELECT y.teacher_id, y.year, y.grade, y.ethics_recorded, y.ethics_passed, y.serious_breach
		FROM unnest($1::uuid[], $2::int[]) AS u(id, since)
		CROSS JOIN LATERAL (SELECT * FROM regcheck_years y WHERE y.teacher_id = u.id AND y.year >= u.since
			ORDER BY y.year OFFSET 0) y`, cur, years)
	if err != nil {
		return nil, fmt.Errorf("registration inputs: years: %w", err)
	}
	var (
		year                     int
		grade                    string
		recorded, passed, breach bool
		sub                      *registration.Subject
	)
	_, err = pgx.ForEachRow(rows, []any{&tidB, &year, &grade, &recorded, &passed, &breach}, func() error {
		if sub == nil || sub.TeacherID != tidB {
			sub = subs[tidB]
		}
		if grade != "" {
			sub.Annual = append(sub.Annual, appraisal.Annual{Year: year, Grade: appraisal.Grade(grade)})
		}
		if recorded {
			sub.Ethics = append(sub.Ethics, appraisal.Ethics{Year: year, Passed: passed, SeriousBreach: breach})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registration inputs: years: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT a.teacher_id, a.from_on, a.until_on, a.approved, a.note
		FROM (SELECT DISTINCT id FROM unnest($1::uuid[]) AS d(id)) u
		CROSS JOIN LATERAL (SELECT * FROM regcheck_absences a WHERE a.teacher_id = u.id OFFSET 0) a
		ORDER BY a.teacher_id, a.seq`, ids)
	if err != nil {
		return nil, fmt.Errorf("registration inputs: absences: %w", err)
	}
	var (
		from  time.Time
		until *time.Time
		note  string
	)
	_, err = pgx.ForEachRow(rows, []any{&tidB, &from, &until, &passed, &note}, func() error {
		if sub = subs[tidB]; sub != nil {
			sub.Absences = append(sub.Absences, registration.Absence{From: from, Until: dateOrZero(until), Approved: passed, Note: note})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registration inputs: absences: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("registration inputs: %w", err)
	}
	out := make(map[uuid.UUID]registration.Subject, len(subs))
	for id, s := range subs {
		out[id] = *s
	}
	return out, nil
}

// readEntries appends to subs the entries of the teachers ids (each with a
// current registration from since[i] on) completed in their cycle before
// asOf, in grant order. Unsorted, it takes the rows as the lookups return
// them, a teacher's together in seq order, and reports false if they did
// not come so (then it keeps none, and the caller reads again sorted).
// Sorted, PostgreSQL sorts them. The entries of all the teachers
// share one array: a slice each, not a slice grown row by row.
func readEntries(ctx context.Context, tx pgx.Tx, subs map[uuid.UUID]*registration.Subject, ids []uuid.UUID, since []time.Time, asOf time.Time, unsorted bool) (bool, error) {
	q := `SELECT e.teacher_id, e.seq, e.entry_id, e.key, e.year, e.completed_on, e.level, e.category,
			e.hours_milli, e.credits_milli, e.title, e.revoked, e.revoke_reason, e.held, e.duplicate, e.duplicate_reason
		FROM unnest($1::uuid[], $2::date[]) AS u(id, since)
		CROSS JOIN LATERAL (SELECT * FROM regcheck_entries e WHERE e.teacher_id = u.id
			AND e.completed_on >= u.since AND e.completed_on < $3 ORDER BY e.seq OFFSET 0) e`
	if !unsorted {
		q += ` ORDER BY e.teacher_id, e.seq`
	}
	rows, err := tx.Query(ctx, q, ids, since, dateOnly(asOf))
	if err != nil {
		return false, err
	}
	type span struct {
		sub        *registration.Subject
		start, end int
	}
	var (
		tidB, entryB [16]byte
		seq, last    int64
		en           credit.Entry
		level, cat   string
		hours, creds int64
		all          = make([]credit.Entry, 0, 16*len(ids))
		spans        []span
		seen         = make(map[*registration.Subject]bool, len(ids))
		inOrder      = true
	)
	_, err = pgx.ForEachRow(rows, []any{&tidB, &seq, &entryB, &en.Key, &en.Year, &en.CompletedOn, &level, &cat,
		&hours, &creds, &en.Title, &en.Revoked, &en.RevokeReason, &en.Held, &en.Duplicate, &en.DuplicateReason}, func() error {
		if n := len(spans); n == 0 || spans[n-1].sub.TeacherID != tidB {
			sub := subs[tidB]
			if sub == nil {
				return fmt.Errorf("entry of teacher %s not asked for", uuid.UUID(tidB))
			}
			if seen[sub] {
				inOrder = false // the teacher's rows came apart
			}
			seen[sub] = true
			spans = append(spans, span{sub: sub, start: len(all)})
		} else if seq <= last {
			inOrder = false
		}
		last = seq
		e := en
		e.ID = entryB
		e.Level, e.Category = credit.Level(level), credit.Category(cat)
		e.Hours, e.Credits = credit.Milli(hours), credit.Milli(creds)
		all = append(all, e)
		spans[len(spans)-1].end = len(all)
		return nil
	})
	if err != nil || !inOrder {
		return inOrder, err
	}
	for _, sp := range spans {
		sp.sub.Entries = all[sp.start:sp.end:sp.end]
	}
	return true, nil
}

// regcheckCategoryColumns are the columns of teacher.CategoryFields of
// regcheck_teachers aliased t, in order.
var regcheckCategoryColumns = func() string {
	cols := make([]string, len(teacher.CategoryFields))
	for i, f := range teacher.CategoryFields {
		cols[i] = "t." + pgx.Identifier{f}.Sanitize()
	}
	return strings.Join(cols, ", ")
}()

func dateOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
