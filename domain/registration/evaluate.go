package registration

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/appraisal"
	"github.com/hbte/record/domain/credit"
)

// Absence is a period the teacher did not teach. Until is the first day
// back; zero means still absent on the check date.
type Absence struct {
	From     time.Time `json:"from"`
	Until    time.Time `json:"until,omitzero"`
	Approved bool      `json:"approved"` // approved study, sick or maternity leave
	Note     string    `json:"note,omitempty"`
}

// Input is everything one check looks at. The caller gathers it from the
// ledger, the appraisal record, the teacher record and the decisions.
type Input struct {
	TeacherID uuid.UUID
	History   History
	// Cycle is the cycle being checked; zero takes the current cycle of
	// History with Policy.CycleYears (use Plan to get both right).
	Cycle   Cycle
	Entries []credit.Entry
	Annual  []appraisal.Annual
	Ethics  []appraisal.Ethics
	// Absences from teaching; only the parts inside the cycle count.
	Absences           []Absence
	CertificateRevoked bool
	// FitToTeach must be confirmed for a pass; false is "not confirmed",
	// so a forgotten flag defers rather than passes.
	FitToTeach bool
	// Categories of the teacher, matched against Policy.Exemptions.
	Categories []string
	AsOf       time.Time
	Policy     Policy
}

// Entry statuses in the evidence.
const (
	StatusCounted  = "counted"
	StatusCapped   = "capped"
	StatusExcluded = "excluded"
)

// Rules that changed an entry's hours, in the evidence.
const (
	RuleCreditConversion  = "credit_conversion"
	RuleDegreeStudyFlat   = "degree_study_flat"
	RuleClassTeacherFlat  = "class_teacher_flat"
	RuleFlatYearCounted   = "flat_rate_year_counted"
	RuleSchoolBasedCap    = "school_based_cap"
	RuleDuplicateActivity = "duplicate_activity"
	RuleRevoked           = "revoked"
	// RuleSuspectedDuplicate: held as a likely duplicate of an entry from
	// another source until the county admin decides.
	RuleSuspectedDuplicate = "suspected_duplicate"
	RuleNoHours            = "no_hours"
	// RuleMakeUp: completed after the cycle's end by a deferred teacher,
	// before the make-up deadline: counted as 补修学时.
	RuleMakeUp = "make_up"
	// RuleMakeUpLate: completed after the make-up deadline.
	RuleMakeUpLate = "make_up_after_deadline"
)

// EntryEvidence says what one ledger entry in the cycle counted for.
type EntryEvidence struct {
	EntryID       uuid.UUID       `json:"entry_id"`
	Key           string          `json:"key"`
	Title         string          `json:"title"`
	Year          int             `json:"year"`
	CompletedOn   time.Time       `json:"completed_on"`
	Category      credit.Category `json:"category"`
	Level         credit.Level    `json:"level"`
	RecordedHours credit.Quantity `json:"recorded_hours"`
	CountedHours  credit.Quantity `json:"counted_hours"`
	Status        string          `json:"status"`
	Rule          string          `json:"rule,omitempty"`
	Note          string          `json:"note,omitempty"`
}

// YearEvidence is one appraisal year of the cycle.
type YearEvidence struct {
	Year int `json:"year"`
	// Due: the year has ended by the check date.
	Due            bool            `json:"due"`
	Grade          appraisal.Grade `json:"grade,omitempty"`
	EthicsRecorded bool            `json:"ethics_recorded"`
	EthicsPassed   bool            `json:"ethics_passed"`
	SeriousBreach  bool            `json:"serious_breach"`
}

// CycleYearHours is the hours of one cycle year (from one registration
// anniversary to the next).
type CycleYearHours struct {
	From    time.Time       `json:"from"`
	To      time.Time       `json:"to"`
	Hours   credit.Quantity `json:"hours"`
	Minimum credit.Quantity `json:"minimum"`
	Due     bool            `json:"due"`
}

// AbsenceEvidence is an absence and the days of it inside the cycle.
type AbsenceEvidence struct {
	Absence
	DaysInCycle int `json:"days_in_cycle"`
}

// Evidence is what the outcome rests on.
type Evidence struct {
	Entries               []EntryEvidence   `json:"entries"`
	Years                 []YearEvidence    `json:"years"`
	CycleYears            []CycleYearHours  `json:"cycle_years"`
	Absences              []AbsenceEvidence `json:"absences,omitempty"`
	UnapprovedAbsenceDays int               `json:"unapproved_absence_days"`
}

// Progress is where the hours stand, also before the cycle is due.
type Progress struct {
	Hours                 credit.Quantity `json:"hours"`
	Required              credit.Quantity `json:"required"`
	Missing               credit.Quantity `json:"missing"`
	CountyOrAboveHours    credit.Quantity `json:"county_or_above_hours"`
	CountyOrAboveRequired credit.Quantity `json:"county_or_above_required"`
	CountyOrAboveMissing  credit.Quantity `json:"county_or_above_missing"`
	SchoolBasedCounted    credit.Quantity `json:"school_based_counted"`
	SchoolBasedCapped     credit.Quantity `json:"school_based_capped"`
	// MakeUpHours (补修学时) are the counted hours completed after the
	// cycle's end by a deferred teacher, before the make-up deadline; they
	// are part of Hours.
	MakeUpHours credit.Quantity `json:"make_up_hours,omitzero"`
}

// Result is the outcome of a check with every reason and the evidence.
type Result struct {
	TeacherID     uuid.UUID `json:"teacher_id"`
	Outcome       Outcome   `json:"outcome"`
	Reasons       []Reason  `json:"reasons"`
	PolicyVersion string    `json:"policy_version"`
	PolicyScope   string    `json:"policy_scope"`
	Cycle         Cycle     `json:"cycle"`
	AsOf          time.Time `json:"as_of"`
	Progress      Progress  `json:"progress"`
	// MakeUpUntil is the last day make-up hours count, set when the
	// registration of the cycle was deferred.
	MakeUpUntil time.Time `json:"make_up_until,omitzero"`
	Evidence    Evidence  `json:"evidence"`
}

// Digest is the SHA-256 of the result's canonical JSON. A decision stores
// it, so the check behind a decision can be recomputed and compared.
func (r Result) Digest() string {
	data, err := json.Marshal(r)
	if err != nil {
		// Every field is a plain value: this cannot happen.
		panic(fmt.Sprintf("registration: marshal result: %v", err))
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Has reports whether the result carries a reason with code.
func (r Result) Has(code string) bool {
	return slices.ContainsFunc(r.Reasons, func(x Reason) bool { return x.Code == code })
}

// Evaluate checks one teacher's cycle under in.Policy. It fails only on
// input it cannot judge (no cycle, no date, an invalid policy); every
// finding about the teacher is a Reason in the result.
func Evaluate(in Input) (Result, error) {
	if err := in.Policy.Validate(); err != nil {
		return Result{}, fmt.Errorf("registration: policy %q: %w", in.Policy.Version, err)
	}
	if in.AsOf.IsZero() {
		return Result{}, domain.Invalid("as_of", "缺少核查日期")
	}
	cycle := in.Cycle
	if cycle.IsZero() {
		c, ok := in.History.CurrentCycle(in.Policy.CycleYears)
		if !ok {
			return Result{}, ErrNotRegistered
		}
		cycle = c
	}
	if !cycle.End.After(cycle.Start) {
		return Result{}, domain.Invalid("cycle", "注册周期不正确")
	}
	p := in.Policy
	asOf := dateOf(in.AsOf)
	due := !asOf.Before(cycle.End)
	res := Result{
		TeacherID: in.TeacherID, PolicyVersion: p.Version, PolicyScope: p.Scope,
		Cycle: cycle, AsOf: asOf,
	}
	e := &evaluation{p: p, cycle: cycle, asOf: asOf, res: &res}
	if in.History.LastOutcome == OutcomeDeferred && dateOf(in.History.LastRegisteredOn).Equal(cycle.Start) {
		res.MakeUpUntil = p.MakeUpUntil(cycle)
	}
	e.countHours(in.Entries)
	e.yearsOf(in.Annual, in.Ethics)
	e.absences(in.Absences)

	if in.CertificateRevoked {
		e.reason(CodeCertificateRevoked, OutcomeFail, "教师资格已被依法撤销或丧失")
	}
	if ex, ok := p.Exempts(in.Categories); ok && !in.CertificateRevoked {
		e.reason(CodeExempt, OutcomeExempt, "属于免于定期注册的情形："+ex.Label)
		res.Outcome = OutcomeExempt
		return res, nil
	}
	if !due {
		e.reason(CodeNotDue, OutcomeNotDue, fmt.Sprintf("注册周期至%s届满，尚未到期", cycle.End.AddDate(0, 0, -1).Format("2006年1月2日")))
	}
	e.judgeEthics()
	e.judgeAnnual()
	e.judgeAbsence()
	e.judgeYearHours()
	if due {
		e.judgeCycleHours()
		if !in.FitToTeach {
			e.reason(CodeFitnessUnconfirmed, OutcomeDeferred, "未确认身心健康、胜任教育教学工作")
		}
	}

	res.Outcome = OutcomePass
	switch {
	case in.CertificateRevoked:
		res.Outcome = OutcomeFail
	case !due:
		res.Outcome = OutcomeNotDue
	default:
		for _, r := range res.Reasons {
			if r.Effect.severity() > res.Outcome.severity() {
				res.Outcome = r.Effect
			}
		}
	}
	return res, nil
}

type evaluation struct {
	p     Policy
	cycle Cycle
	asOf  time.Time
	res   *Result
}

func (e *evaluation) reason(code string, effect Outcome, msg string) {
	e.res.Reasons = append(e.res.Reasons, Reason{Code: code, Message: msg, Effect: effect})
}

func isSchoolBased(en *credit.Entry) bool {
	return en.Category == credit.CategorySchoolBased ||
		en.Level == credit.LevelSchool && (en.Category == credit.CategoryTraining || en.Category == credit.CategoryOther)
}

// countHours decides what each entry of the cycle counts for. Entries are
// taken in completion order so a cap falls on the latest hours, and the
// result does not depend on the order the caller passed them in.
func (e *evaluation) countHours(entries []credit.Entry) {
	// The cycle's hours count up to the check date or the cycle's end,
	// whichever is first. After the end only a deferred teacher's make-up
	// hours count, up to the make-up deadline (and the check date).
	windowEnd := e.asOf
	if !e.res.MakeUpUntil.IsZero() {
		// Entries after the deadline are listed, excluded, so the teacher
		// sees why they did not count.
	} else if e.cycle.End.Before(windowEnd) {
		windowEnd = e.cycle.End
	}
	// Pointers into entries, not copies: an entry is a large struct, and a
	// county's batch check evaluates millions of them.
	in := make([]*credit.Entry, 0, len(entries))
	for i := range entries {
		d := dateOf(entries[i].CompletedOn)
		if !d.Before(e.cycle.Start) && d.Before(windowEnd) {
			in = append(in, &entries[i])
		}
	}
	slices.SortStableFunc(in, func(a, b *credit.Entry) int {
		return cmp.Or(dateOf(a.CompletedOn).Compare(dateOf(b.CompletedOn)), strings.Compare(a.Key, b.Key))
	})

	e.res.Evidence.Entries = slices.Grow(e.res.Evidence.Entries, len(in))
	seen := make(map[string]bool, len(in))
	flatYears := map[credit.Category]map[int]bool{}
	capLeft := e.p.SchoolBasedCapHours
	prog := &e.res.Progress
	for _, en := range in {
		ev := EntryEvidence{
			EntryID: en.ID, Key: en.Key, Title: en.Title, Year: en.Year,
			CompletedOn: dateOf(en.CompletedOn), Category: en.Category, Level: en.Level,
			RecordedHours: en.Hours, Status: StatusCounted,
		}
		exclude := func(rule, note string) {
			ev.Status, ev.Rule, ev.Note, ev.CountedHours = StatusExcluded, rule, note, credit.Quantity{}
		}
		hours := en.Hours
		makeUp := !ev.CompletedOn.Before(e.cycle.End)
		switch {
		case makeUp && ev.CompletedOn.After(e.res.MakeUpUntil):
			exclude(RuleMakeUpLate, fmt.Sprintf("补修截止%s，之后完成的学时不计入本周期", e.res.MakeUpUntil.Format("2006年1月2日")))
		case en.Revoked:
			exclude(RuleRevoked, "已撤销："+en.RevokeReason)
		case en.Held:
			exclude(RuleSuspectedDuplicate, "疑似与另一记录重复，待区县核定后计入")
		case en.Duplicate:
			exclude(RuleDuplicateActivity, "经区县核定与另一记录为同一学习："+en.DuplicateReason)
		case en.Key != "" && seen[en.Key]:
			exclude(RuleDuplicateActivity, "同一学习活动只计一次")
		case hours.IsZero() && (e.p.HoursPerCredit.IsZero() || en.Credits.IsZero()):
			exclude(RuleNoHours, "无学时记录")
		default:
			seen[en.Key] = true
			if hours.IsZero() {
				// Exact: 0.5 credit at 1 h per credit is 0.5 h, never rounded.
				hours = en.Credits.Mul(e.p.HoursPerCredit)
				ev.Rule, ev.Note = RuleCreditConversion, fmt.Sprintf("按每学分%s学时折算", e.p.HoursPerCredit)
			}
			var flat credit.Quantity
			flatRule := ""
			switch en.Category {
			case credit.CategoryDegreeStudy:
				flat, flatRule = e.p.DegreeStudyHoursPerYear, RuleDegreeStudyFlat
			case credit.CategoryClassTeacher:
				flat, flatRule = e.p.ClassTeacherHoursPerYear, RuleClassTeacherFlat
			}
			if flat.Sign() > 0 {
				ev.Rule, ev.Note = flatRule, fmt.Sprintf("%s每年按%s学时计", en.Category.Label(), flat)
				if flatYears[en.Category] == nil {
					flatYears[en.Category] = map[int]bool{}
				}
				if flatYears[en.Category][en.Year] {
					exclude(RuleFlatYearCounted, fmt.Sprintf("%d年度已按%s计入", en.Year, en.Category.Label()))
					break
				}
				flatYears[en.Category][en.Year] = true
				hours = flat
			}
			if isSchoolBased(en) && e.p.SchoolBasedCapHours.Sign() > 0 {
				if capLeft.Less(hours) {
					ev.Status, ev.Rule = StatusCapped, RuleSchoolBasedCap
					ev.Note = fmt.Sprintf("校本研修学时计入上限%s学时", e.p.SchoolBasedCapHours)
					prog.SchoolBasedCapped = prog.SchoolBasedCapped.Add(hours.Sub(capLeft))
					hours = capLeft
				}
				capLeft = capLeft.Sub(hours)
			}
			ev.CountedHours = hours
			if makeUp {
				if ev.Rule == "" {
					ev.Rule, ev.Note = RuleMakeUp, "暂缓注册后的补修学时"
				} else {
					ev.Note += "；暂缓注册后的补修学时"
				}
				prog.MakeUpHours = prog.MakeUpHours.Add(hours)
			}
			if isSchoolBased(en) {
				prog.SchoolBasedCounted = prog.SchoolBasedCounted.Add(hours)
			}
		}
		e.res.Evidence.Entries = append(e.res.Evidence.Entries, ev)
	}

	for _, ev := range e.res.Evidence.Entries {
		prog.Hours = prog.Hours.Add(ev.CountedHours)
		if ev.Level.CountyOrAbove() {
			prog.CountyOrAboveHours = prog.CountyOrAboveHours.Add(ev.CountedHours)
		}
	}
	prog.Required = e.p.MinCycleHours
	prog.Missing = prog.Required.Sub(prog.Hours).Max(credit.Quantity{})
	prog.CountyOrAboveRequired = e.p.MinCountyOrAboveHours
	prog.CountyOrAboveMissing = prog.CountyOrAboveRequired.Sub(prog.CountyOrAboveHours).Max(credit.Quantity{})

	years := e.cycle.End.Year() - e.cycle.Start.Year()
	e.res.Evidence.CycleYears = slices.Grow(e.res.Evidence.CycleYears, years)
	for i := range years {
		from, to := e.cycle.Start.AddDate(i, 0, 0), e.cycle.Start.AddDate(i+1, 0, 0)
		cy := CycleYearHours{From: from, To: to, Minimum: e.p.MinYearHours, Due: !e.asOf.Before(to)}
		for _, ev := range e.res.Evidence.Entries {
			if !ev.CompletedOn.Before(from) && ev.CompletedOn.Before(to) {
				cy.Hours = cy.Hours.Add(ev.CountedHours)
			}
		}
		e.res.Evidence.CycleYears = append(e.res.Evidence.CycleYears, cy)
	}
}

func (e *evaluation) yearsOf(annual []appraisal.Annual, ethics []appraisal.Ethics) {
	for _, y := range e.cycle.AppraisalYears() {
		ye := YearEvidence{Year: y, Due: e.asOf.After(time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC))}
		for _, a := range annual {
			if a.Year == y {
				ye.Grade = a.Grade
			}
		}
		for _, et := range ethics {
			if et.Year == y {
				ye.EthicsRecorded, ye.EthicsPassed, ye.SeriousBreach = true, et.Passed, et.SeriousBreach
			}
		}
		e.res.Evidence.Years = append(e.res.Evidence.Years, ye)
	}
}

func (e *evaluation) absences(abs []Absence) {
	end := e.cycle.End
	if e.asOf.Before(end) {
		end = e.asOf
	}
	type span struct{ from, to time.Time }
	var unapproved []span
	for _, a := range abs {
		from, to := dateOf(a.From), e.asOf
		if !a.Until.IsZero() {
			to = dateOf(a.Until)
		}
		if from.Before(e.cycle.Start) {
			from = e.cycle.Start
		}
		if to.After(end) {
			to = end
		}
		days := 0
		if to.After(from) {
			days = int(to.Sub(from).Hours() / 24)
		}
		e.res.Evidence.Absences = append(e.res.Evidence.Absences, AbsenceEvidence{Absence: a, DaysInCycle: days})
		if !a.Approved && days > 0 {
			unapproved = append(unapproved, span{from, to})
		}
	}
	// Overlapping reports of one absence must not count its days twice.
	slices.SortFunc(unapproved, func(a, b span) int { return a.from.Compare(b.from) })
	total := 0
	var cur span
	for i, s := range unapproved {
		switch {
		case i == 0:
			cur = s
		case !s.from.After(cur.to):
			if s.to.After(cur.to) {
				cur.to = s.to
			}
		default:
			total += int(cur.to.Sub(cur.from).Hours() / 24)
			cur = s
		}
	}
	if len(unapproved) > 0 {
		total += int(cur.to.Sub(cur.from).Hours() / 24)
	}
	e.res.Evidence.UnapprovedAbsenceDays = total
}

func (e *evaluation) judgeEthics() {
	var missing, failed, serious []int
	for _, y := range e.res.Evidence.Years {
		switch {
		case !y.Due:
		case !y.EthicsRecorded:
			missing = append(missing, y.Year)
		case y.SeriousBreach && !y.EthicsPassed:
			serious = append(serious, y.Year)
		case !y.EthicsPassed:
			failed = append(failed, y.Year)
		}
	}
	if len(serious) > 0 {
		e.reason(CodeEthicsSeriousBreach, OutcomeFail, years(serious)+"有严重违反师德行为，师德考核不合格")
	}
	if len(failed) > 0 {
		e.reason(CodeEthicsFailed, OutcomeDeferred, years(failed)+"师德考核未达标")
	}
	if len(missing) > 0 {
		e.reason(CodeEthicsMissing, OutcomeDeferred, years(missing)+"无师德考核结果")
	}
}

func (e *evaluation) judgeAnnual() {
	var missing, basic, incompetent []int
	consecutive := false
	prevFail := 0
	for _, y := range e.res.Evidence.Years {
		if !y.Due {
			continue
		}
		switch y.Grade {
		case "":
			missing = append(missing, y.Year)
		case appraisal.GradeBasic:
			basic = append(basic, y.Year)
		case appraisal.GradeIncompetent:
			if prevFail == y.Year-1 && prevFail != 0 {
				consecutive = true
			}
			prevFail = y.Year
			incompetent = append(incompetent, y.Year)
		}
	}
	if consecutive {
		e.reason(CodeAppraisalConsecutiveFails, OutcomeFail, "年度考核连续两年不合格")
	}
	if len(incompetent) > 0 {
		e.reason(CodeAppraisalIncompetent, OutcomeDeferred, years(incompetent)+"年度考核不合格")
	}
	if len(basic) > 0 {
		e.reason(CodeAppraisalBasic, OutcomeDeferred, years(basic)+"年度考核为基本合格，未达到合格以上等次")
	}
	if len(missing) > 0 {
		e.reason(CodeAppraisalMissing, OutcomeDeferred, years(missing)+"无年度考核结果")
	}
}

func (e *evaluation) judgeAbsence() {
	if d := e.res.Evidence.UnapprovedAbsenceDays; d > e.p.MaxUnapprovedAbsenceDays {
		e.reason(CodeAbsenceUnapproved, OutcomeDeferred,
			fmt.Sprintf("未经批准中止教育教学工作累计%d天，超过一学期（%d天）", d, e.p.MaxUnapprovedAbsenceDays))
	}
}

func (e *evaluation) judgeYearHours() {
	if e.p.MinYearHours.IsZero() {
		return
	}
	for i, cy := range e.res.Evidence.CycleYears {
		if cy.Due && cy.Hours.Less(cy.Minimum) {
			e.reason(CodeYearHoursShort, OutcomeDeferred, fmt.Sprintf("注册周期第%d年（%s至%s）培训%s学时，少于每年%s学时",
				i+1, cy.From.Format("2006-01-02"), cy.To.AddDate(0, 0, -1).Format("2006-01-02"), cy.Hours, cy.Minimum))
		}
	}
}

func (e *evaluation) judgeCycleHours() {
	pr := e.res.Progress
	if pr.Missing.Sign() > 0 {
		msg := fmt.Sprintf("注册周期内培训%s学时，少于%s学时，尚缺%s学时", pr.Hours, pr.Required, pr.Missing)
		if !e.res.MakeUpUntil.IsZero() {
			msg = fmt.Sprintf("注册周期内培训及补修共%s学时（其中补修%s学时），少于%s学时，尚缺%s学时；补修截止%s",
				pr.Hours, pr.MakeUpHours, pr.Required, pr.Missing, e.res.MakeUpUntil.Format("2006年1月2日"))
		}
		e.reason(CodeHoursShort, OutcomeDeferred, msg)
	}
	if pr.CountyOrAboveMissing.Sign() > 0 {
		e.reason(CodeCountyHoursShort, OutcomeDeferred, fmt.Sprintf("县级以上培训%s学时，少于%s学时", pr.CountyOrAboveHours, pr.CountyOrAboveRequired))
	}
}

func years(ys []int) string {
	parts := make([]string, len(ys))
	for i, y := range ys {
		parts[i] = fmt.Sprintf("%d", y)
	}
	return strings.Join(parts, "、") + "年度"
}
