package project

import (
	"errors"
	"fmt"
	"math"

	"github.com/hbte/record/domain"
)

// Policy is a project's grading rule: the total is the weighted sum of the
// offline (集中学习) and online (网络学习) scores, each 0..100, rounded to one
// decimal; a trainee passes with a total at or above PassMark and, where a
// part has a minimum, that part at or above its minimum.
type Policy struct {
	OfflineWeight int      `json:"offline_weight"` // percent
	OnlineWeight  int      `json:"online_weight"`  // percent
	PassMark      float64  `json:"pass_mark"`
	OfflineMin    *float64 `json:"offline_min,omitempty"`
	OnlineMin     *float64 `json:"online_min,omitempty"`
}

// DefaultPolicy is the common 50/50 split with 60 to pass.
func DefaultPolicy() Policy { return Policy{OfflineWeight: 50, OnlineWeight: 50, PassMark: 60} }

// Validate checks the policy itself.
func (p Policy) Validate() error {
	v := &domain.ValidationError{}
	if p.OfflineWeight < 0 || p.OfflineWeight > 100 {
		v.Add("offline_weight", "集中学习权重须在0到100之间")
	}
	if p.OnlineWeight < 0 || p.OnlineWeight > 100 {
		v.Add("online_weight", "网络学习权重须在0到100之间")
	}
	if p.OfflineWeight+p.OnlineWeight != 100 {
		v.Add("weights", "集中学习与网络学习权重之和须为100")
	}
	if !inScoreRange(p.PassMark) {
		v.Add("pass_mark", "合格分数线须在0到100之间")
	}
	if p.OfflineMin != nil && (!inScoreRange(*p.OfflineMin) || p.OfflineWeight == 0) {
		v.Add("offline_min", "集中学习最低分须在0到100之间，且该部分权重不为0")
	}
	if p.OnlineMin != nil && (!inScoreRange(*p.OnlineMin) || p.OnlineWeight == 0) {
		v.Add("online_min", "网络学习最低分须在0到100之间，且该部分权重不为0")
	}
	return v.Err()
}

func inScoreRange(x float64) bool { return !math.IsNaN(x) && x >= 0 && x <= 100 }

// ErrPolicyInvalid is returned by Grade for a policy that fails Validate.
var ErrPolicyInvalid = errors.New("grading policy invalid")

// Grade computes the total and the pass decision. A part with a weight needs
// its score; a part without weight must be left out (nil), so that a score
// posted to the wrong part is noticed rather than silently ignored.
func (p Policy) Grade(offline, online *float64) (total float64, passed bool, err error) {
	if err := p.Validate(); err != nil {
		return 0, false, fmt.Errorf("%w: %w", ErrPolicyInvalid, err)
	}
	v := &domain.ValidationError{}
	check := func(field, label string, score *float64, weight int) {
		switch {
		case weight > 0 && score == nil:
			v.Add(field, label+"成绩不能为空")
		case weight == 0 && score != nil:
			v.Add(field, "本项目不考核"+label)
		case score != nil && !inScoreRange(*score):
			v.Add(field, label+"成绩须在0到100之间")
		}
	}
	check("offline", "集中学习", offline, p.OfflineWeight)
	check("online", "网络学习", online, p.OnlineWeight)
	if err := v.Err(); err != nil {
		return 0, false, err
	}
	var sum float64
	if offline != nil {
		sum += *offline * float64(p.OfflineWeight)
	}
	if online != nil {
		sum += *online * float64(p.OnlineWeight)
	}
	// Round to one decimal so 59.99999 from float error never fails a 60.
	total = math.Round(sum/10) / 10
	passed = total >= p.PassMark
	if p.OfflineMin != nil && *offline < *p.OfflineMin {
		passed = false
	}
	if p.OnlineMin != nil && *online < *p.OnlineMin {
		passed = false
	}
	return total, passed, nil
}
