package appraisal

import "strings"

// Grade is an annual appraisal result. The codes are those of the national
// teacher-information standard (考核结论代码), so uploads that use codes and
// uploads that use labels both work. Stored in events: never change.
type Grade string

const (
	GradeExcellent   Grade = "1" // 优秀
	GradeCompetent   Grade = "2" // 合格
	GradeBasic       Grade = "3" // 基本合格
	GradeIncompetent Grade = "4" // 不合格
)

// Valid reports whether g is known.
func (g Grade) Valid() bool {
	switch g {
	case GradeExcellent, GradeCompetent, GradeBasic, GradeIncompetent:
		return true
	}
	return false
}

// Label is the Chinese name shown to users.
func (g Grade) Label() string {
	switch g {
	case GradeExcellent:
		return "优秀"
	case GradeCompetent:
		return "合格"
	case GradeBasic:
		return "基本合格"
	case GradeIncompetent:
		return "不合格"
	}
	return string(g)
}

// CompetentOrBetter is the re-registration condition "合格以上等次";
// 基本合格 does not meet it.
func (g Grade) CompetentOrBetter() bool { return g == GradeExcellent || g == GradeCompetent }

// ParseGrade accepts a code or a Chinese label, ignoring surrounding space.
func ParseGrade(s string) (Grade, bool) {
	s = strings.TrimSpace(s)
	for _, g := range []Grade{GradeExcellent, GradeCompetent, GradeBasic, GradeIncompetent} {
		if s == string(g) || s == g.Label() {
			return g, true
		}
	}
	return "", false
}

// ParseEthics reads an ethics result cell: 达标 (or 合格, 是, 1) is a pass,
// 不达标 (or 不合格, 否, 0) a failure. Counties use all of these.
func ParseEthics(s string) (passed, ok bool) {
	switch strings.TrimSpace(s) {
	case "达标", "合格", "是", "1":
		return true, true
	case "不达标", "不合格", "否", "0":
		return false, true
	}
	return false, false
}

// parseYesNo reads an optional yes/no cell; empty is no.
func parseYesNo(s string) (yes, ok bool) {
	switch strings.TrimSpace(s) {
	case "", "否", "无", "0":
		return false, true
	case "是", "有", "1":
		return true, true
	}
	return false, false
}
