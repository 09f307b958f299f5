package registration

// Outcome is the result of a check or a decision. Stored in events: never
// change the values.
type Outcome string

const (
	OutcomePass     Outcome = "pass"     // 合格
	OutcomeDeferred Outcome = "deferred" // 暂缓注册
	OutcomeFail     Outcome = "fail"     // 不合格
	OutcomeNotDue   Outcome = "not_due"  // 未到注册期
	OutcomeExempt   Outcome = "exempt"   // 免于注册
)

// Label is the Chinese name shown to users.
func (o Outcome) Label() string {
	switch o {
	case OutcomePass:
		return "合格"
	case OutcomeDeferred:
		return "暂缓注册"
	case OutcomeFail:
		return "不合格"
	case OutcomeNotDue:
		return "未到注册期"
	case OutcomeExempt:
		return "免于注册"
	}
	return string(o)
}

// severity orders the outcomes a reason can force.
func (o Outcome) severity() int {
	switch o {
	case OutcomeFail:
		return 3
	case OutcomeDeferred:
		return 2
	}
	return 0
}

// Reason codes: stable, stored in decisions, read by programs.
const (
	CodeCertificateRevoked        = "certificate_revoked"
	CodeEthicsSeriousBreach       = "ethics_serious_breach"
	CodeAppraisalConsecutiveFails = "appraisal_incompetent_consecutive"
	CodeAppraisalIncompetent      = "appraisal_incompetent"
	CodeAppraisalBasic            = "appraisal_basic"
	CodeAppraisalMissing          = "appraisal_missing"
	CodeEthicsFailed              = "ethics_failed"
	CodeEthicsMissing             = "ethics_missing"
	CodeHoursShort                = "hours_short"
	CodeYearHoursShort            = "year_hours_short"
	CodeCountyHoursShort          = "county_hours_short"
	CodeAbsenceUnapproved         = "absence_unapproved"
	CodeFitnessUnconfirmed        = "fitness_unconfirmed"
	CodeExempt                    = "exempt"
	CodeNotDue                    = "not_due"
)

// Reason is one finding of a check: a stable code, a Chinese message for
// people, and the outcome it forces on its own.
type Reason struct {
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Effect  Outcome `json:"effect"`
}
