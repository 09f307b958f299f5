package teacherpages

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/file"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

var bankKindOptions = func() []option {
	var out []option
	for _, k := range []credit.BankKind{credit.BankSchoolBased, credit.BankDegreeStudy, credit.BankClassTeacher, credit.BankOffPlatform, credit.BankOther} {
		out = append(out, option{Code: string(k), Label: k.Label()})
	}
	return out
}()

type bankData struct {
	Requests []bankRow
	Kinds    []option
	Levels   []option
}

// creditBank lists the teacher's requests (the newest 100: a teacher has
// a handful) with a form for a new one.
func (s *Section) creditBank(w http.ResponseWriter, r *http.Request) {
	d, err := s.bankData(r)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.views.Render(w, r, http.StatusOK, "creditbank", web.Page{Title: "学分银行", Data: d})
}

type bankRow struct {
	projections.BankRequest
	LevelLabel string
}

func (s *Section) bankData(r *http.Request) (bankData, error) {
	reqs, err := s.Credits.BankRequests(r.Context(), projections.BankFilter{TeacherID: me(r), Limit: 100})
	if err != nil {
		return bankData{}, err
	}
	d := bankData{Kinds: bankKindOptions, Levels: levelOptions}
	// Newest first for the teacher (the query orders a queue oldest first).
	for i := len(reqs) - 1; i >= 0; i-- {
		d.Requests = append(d.Requests, bankRow{BankRequest: reqs[i], LevelLabel: credit.Level(reqs[i].Level).Label()})
	}
	return d, nil
}

func (s *Section) submitBank(w http.ResponseWriter, r *http.Request) {
	refused := func(err error) {
		d, lerr := s.bankData(r)
		if lerr != nil {
			s.k.Fail(w, r, lerr)
			return
		}
		s.views.Form(w, r, "creditbank", web.Page{Title: "学分银行", Data: d}, renameField(err, "evidence",
			"files[0].sha256", "files[0].size", "evidence[0].sha256", "evidence[0].name", "evidence[0].size", "evidence[0].content_type"))
	}
	up, err := parseUpload(w, r, "evidence")
	if err != nil {
		refused(err)
		return
	}
	v := &domain.ValidationError{}
	date := func(field string) time.Time {
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(r.PostFormValue(field)))
		if err != nil {
			v.Add(field, "请填写日期，如 2025-03-01")
		}
		return t
	}
	start, end := date("start_on"), date("end_on")
	hours, herr := credit.ParseQuantity(r.PostFormValue("claimed_hours"))
	if herr != nil {
		v.Add("claimed_hours", "学时应为数字，最多保留一位小数（如 24 或 24.5）")
	}
	if up == nil {
		v.Add("evidence", "请上传证明材料（结业证书、学习证明等）")
	}
	if err := v.Err(); err != nil {
		refused(err)
		return
	}
	// The same training already counted (imported from an earlier system,
	// or recognised before) would be held as a suspected duplicate: warn
	// first, and submit only once the teacher confirms it is another one.
	if r.PostFormValue("confirm_distinct") != "1" {
		dups, err := s.Cmd.LikelyDuplicates(r.Context(), web.Actor(r), credit.Candidate{
			Title: r.PostFormValue("title"), StartOn: start, EndOn: end, Hours: hours})
		if err != nil {
			s.k.Fail(w, r, err)
			return
		}
		if len(dups) > 0 {
			e := dups[0]
			refused(domain.Invalid("confirm_distinct", fmt.Sprintf("可能与已计入的学时重复：“%s”（%s完成，%s学时，%s）。重复的记录不会计入；如确属另一次学习，请勾选确认并重新选择证明材料后提交。",
				e.Title, e.CompletedOn.Format("2006-01-02"), e.Hours, e.Source.Kind.Label())))
			return
		}
	}
	ref, err := s.store(r, "evidence", up)
	if err != nil {
		refused(err)
		return
	}
	actor := web.Actor(r)
	res, err := s.Cmd.SubmitBankRequest(r.Context(), actor, credit.Submission{TeacherID: actor.TeacherID,
		Kind: credit.BankKind(r.PostFormValue("kind")), Title: r.PostFormValue("title"), Organiser: r.PostFormValue("organiser"),
		Level: credit.Level(r.PostFormValue("level")), StartOn: start, EndOn: end, ClaimedHours: hours, Evidence: []file.FileRef{ref}})
	if err != nil {
		refused(err)
		return
	}
	s.k.Done(w, r, res.Position, "/me/credit-bank", "学分认定申请已提交，等待区县管理员审核。")
}

func (s *Section) withdrawBank(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	// Another teacher's request is answered like a missing one.
	req, err := s.Cmd.LoadBankRequest(r.Context(), id)
	if err == nil && req.Submitted().TeacherID != me(r) {
		err = domain.ErrNotFound
	}
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	res, err := s.Cmd.WithdrawBankRequest(r.Context(), web.Actor(r), id)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	s.k.Done(w, r, res.Position, "/me/credit-bank", "申请已撤回。")
}
