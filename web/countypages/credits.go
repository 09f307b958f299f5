package countypages

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

type creditsData struct {
	Status string // pending or all
	Bank   []projections.BankRequest
	Limit  int
	Offset int
	More   bool
	Levels []option
	Report *commands.CreditImportReport
	Errors []rowError
	Failed string
	F      formState
	Msg    string
}

var creditLevels = func() []option {
	var out []option
	for _, l := range []credit.Level{credit.LevelNational, credit.LevelProvincial, credit.LevelCity, credit.LevelCounty, credit.LevelSchool, credit.LevelOther} {
		out = append(out, option{string(l), l.Label()})
	}
	return out
}()

const bankPageSize = 20

func (s *Section) credits(w http.ResponseWriter, r *http.Request) {
	s.renderCredits(w, r, http.StatusOK, &creditsData{}, nil)
}

// renderCredits shows the import form (with a report after an import) and
// the credit-bank queue; err is a refused import form.
func (s *Section) renderCredits(w http.ResponseWriter, r *http.Request, status int, d *creditsData, err error) {
	d.Limit, d.Offset = paging(r, bankPageSize)
	d.Levels = creditLevels
	d.Status = r.URL.Query().Get("status")
	f := projections.BankFilter{Jurisdiction: county(r), Status: string(credit.StatusPending), Limit: d.Limit + 1, Offset: d.Offset}
	if d.Status == "all" {
		f.Status = ""
	} else {
		d.Status = "pending"
	}
	list, lerr := s.Credits.BankRequests(r.Context(), f)
	if lerr != nil {
		s.k.Fail(w, r, lerr)
		return
	}
	if len(list) > d.Limit {
		d.More, list = true, list[:d.Limit]
	}
	d.Bank = list
	page := web.Page{Title: "学分", Data: d, Error: d.Msg}
	if err != nil {
		s.views.Form(w, r, "credits", page, err)
		return
	}
	s.views.Render(w, r, status, "credits", page)
}

// importCredits imports an uploaded sheet of earlier training records
// (httpapi.ImportCreditFile, as POST /api/v1/credit-imports) and shows
// what became of every row. Importing the same file again grants nothing.
func (s *Section) importCredits(w http.ResponseWriter, r *http.Request) {
	up, err := readUpload(w, r, "file")
	if bad := fieldErrors(err); len(bad) > 0 {
		if strings.TrimSpace(r.PostFormValue("system")) == "" {
			bad = append([]domain.FieldError{{Field: "system", Reason: "请填写数据来源系统名称"}}, bad...)
		}
		s.renderCredits(w, r, http.StatusUnprocessableEntity, &creditsData{}, web.ValidationErrors(bad...))
		return
	}
	rep, err := httpapi.ImportCreditFile(r.Context(), s.Cmd, web.Actor(r), r.PostFormValue("system"), up.Name, up.Data)
	if err != nil {
		if _, msg, fields, ok := web.Refused(err); ok && len(fields) == 0 {
			err = web.ValidationErrors(domain.FieldError{Field: "file", Reason: msg})
		}
		s.renderCredits(w, r, http.StatusUnprocessableEntity, &creditsData{}, err)
		return
	}
	s.k.Wait(r, rep.Position)
	d := &creditsData{Report: &rep, Errors: rowErrors(rep.Errors)}
	s.renderCredits(w, r, http.StatusOK, d, nil)
}

// bankForm runs a decision on a credit-bank request; a refused one is
// shown again in its row.
func (s *Section) bankForm(w http.ResponseWriter, r *http.Request, which string, run func(id uuid.UUID) (commands.Result, string, error)) {
	id, err := pathID(r, "id")
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.k.Fail(w, r, err)
		return
	}
	res, msg, err := run(id)
	if err != nil {
		f, m, status, ok := refused(r, which, err)
		if !ok {
			s.k.Fail(w, r, err)
			return
		}
		s.renderCredits(w, r, status, &creditsData{Failed: id.String(), F: f, Msg: m}, nil)
		return
	}
	s.k.Done(w, r, res.Position, "/county/credits", msg)
}

func (s *Section) recognise(w http.ResponseWriter, r *http.Request) {
	s.bankForm(w, r, "recognise", func(id uuid.UUID) (commands.Result, string, error) {
		var bad []domain.FieldError
		hours, err := credit.ParseQuantity(r.PostFormValue("hours"))
		if err != nil {
			bad = append(bad, domain.FieldError{Field: "hours", Reason: "认定学时应为数字，最多保留一位小数"})
		}
		var credits credit.Quantity
		if v := strings.TrimSpace(r.PostFormValue("credits")); v != "" {
			if credits, err = credit.ParseQuantity(v); err != nil {
				bad = append(bad, domain.FieldError{Field: "credits", Reason: "学分应为数字，最多保留一位小数"})
			}
		}
		if len(bad) > 0 {
			return commands.Result{}, "", web.ValidationErrors(bad...)
		}
		res, err := s.Cmd.RecogniseBankRequest(r.Context(), web.Actor(r), id, credit.Recognition{Hours: hours, Credits: credits,
			Level: credit.Level(r.PostFormValue("level")), Note: r.PostFormValue("note")})
		return res, "已认定，学分已计入教师档案。", err
	})
}

func (s *Section) rejectBank(w http.ResponseWriter, r *http.Request) {
	s.bankForm(w, r, "reject", func(id uuid.UUID) (commands.Result, string, error) {
		res, err := s.Cmd.RejectBankRequest(r.Context(), web.Actor(r), id, r.PostFormValue("reason"))
		return res, "已不予认定，教师将看到原因。", err
	})
}
