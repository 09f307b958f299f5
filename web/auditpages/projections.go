package auditpages

import (
	"net/http"

	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// projectionLabels name the read models for people.
var projectionLabels = map[string]string{
	"teacher_profile":     "教师档案",
	"teacher_history":     "档案变更历史",
	"teacher_queues":      "待办队列",
	"key_field_audit":     "关键字段变更记录",
	"accounts":            "账号",
	"account_process":     "账号处理流程",
	"units":               "单位",
	"enrollments":         "培训报名与成绩",
	"credit_teachers":     "学时统计的教师",
	"credit_history":      "学时学分记录",
	"appraisal_results":   "考核结果",
	"registration_status": "资格注册状态",
	"studios":             "名师工作室",
}

type projectionsData struct {
	Items   []projectionRow
	Parked  []projections.ParkedEvent
	Behind  int
	AllLive bool
}

type projectionRow struct {
	projections.Status
	Label string
}

// projections is the API's /ops/projections as a page: each read model's
// checkpoint, lag and whether it is live, and every parked event.
func (s *Section) projections(w http.ResponseWriter, r *http.Request) {
	st, err := s.Runner.Status(r.Context())
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	parked, err := s.Runner.Parked(r.Context())
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	d := projectionsData{Parked: parked, AllLive: true}
	for _, p := range st {
		d.Items = append(d.Items, projectionRow{Status: p, Label: projectionLabels[p.Name]})
		if p.Lag > 0 {
			d.Behind++
		}
		if !p.Live {
			d.AllLive = false
		}
	}
	s.views.Render(w, r, http.StatusOK, "projections", web.Page{Title: "数据同步状态", Data: d})
}
