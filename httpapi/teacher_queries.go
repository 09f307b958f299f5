package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/projections"
)

// TeacherReadArea serves the read models of the teacher record: profile,
// roster, history, queues, key-field audit, units and accounts.
type TeacherReadArea struct {
	Cmd *commands.Handlers
	Q   *projections.TeacherQueries
	s   *Server
}

func (a *TeacherReadArea) Routes(s *Server, r chi.Router) {
	a.s = s
	r.Get("/teachers", s.H(a.roster))
	r.Get("/teachers/{id}", s.H(a.profile))
	r.Get("/teachers/{id}/history", s.H(a.history))
	r.Get("/corrections", s.H(a.corrections))
	r.Get("/transfers", s.H(a.transfers))
	r.Get("/audit/key-field-changes", s.H(a.keyFieldAudit))
	r.Get("/audit/security", s.H(a.securityAudit))
	r.Get("/units", s.H(a.units))
	r.Get("/units/{id}", s.H(a.unit))
	r.Get("/accounts", s.H(a.accounts))
	r.Post("/accounts", s.H(a.createAccount))
}

// scope is the jurisdiction a list query may cover: the actor's own, or a
// narrower one it asked for.
func scope(actor access.Actor, asked string) (string, error) {
	switch actor.Role {
	case access.RoleCountyAdmin, access.RoleCityAdmin, access.RoleProvinceAdmin, access.RoleAuditor, access.RoleRegistrar:
	default:
		return "", fmt.Errorf("%w: lists are for admins, auditors and registration authorities", access.ErrForbidden)
	}
	if actor.Jurisdiction == "" {
		return "", access.ErrForbidden
	}
	if asked == "" {
		return actor.Jurisdiction, nil
	}
	if !actor.Covers(asked) {
		return "", fmt.Errorf("%w: %s is outside the actor's jurisdiction", access.ErrForbidden, asked)
	}
	return asked, nil
}

func page(r *http.Request) (limit, offset int, err error) {
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			return 0, 0, badRequest("bad_limit", "limit 应为非负整数")
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, badRequest("bad_offset", "offset 应为非负整数")
		}
	}
	return limit, offset, nil
}

func optUUID(r *http.Request, name string) (uuid.UUID, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return uuid.Nil, badRequest("bad_"+name, name+" 应为 UUID")
	}
	return id, nil
}

func (a *TeacherReadArea) roster(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	q := r.URL.Query()
	juris, err := scope(actor, q.Get("jurisdiction"))
	if err != nil {
		return err
	}
	limit, offset, err := page(r)
	if err != nil {
		return err
	}
	unitID, err := optUUID(r, "unit_id")
	if err != nil {
		return err
	}
	f := projections.RosterFilter{Jurisdiction: juris, UnitID: unitID,
		Name: q.Get("name"), IDNumber: q.Get("id_number"), After: q.Get("after"), Limit: limit, Offset: offset}
	if format := q.Get("format"); format != "" && format != "json" {
		return a.rosterExport(w, r, f, format)
	}
	p, err := a.Q.Roster(r.Context(), f)
	if err != nil {
		return err
	}
	for i := range p.Rows {
		p.Rows[i] = p.Rows[i].MaskedCopy() // lists always mask
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// MaxRosterExport bounds one roster download; a larger region is exported
// a county or a unit at a time.
const MaxRosterExport = 50_000

// rosterExport sends every teacher matching f (paging ignored) as CSV or
// XLSX, masked like every list.
func (a *TeacherReadArea) rosterExport(w http.ResponseWriter, r *http.Request, f projections.RosterFilter, format string) error {
	if format != "csv" && format != "xlsx" {
		return badRequest("bad_format", "format 应为 csv 或 xlsx")
	}
	header := []string{"姓名", "性别", "出生日期", "身份证件号码", "所在区县", "单位", "任教学段", "任教学科", "专业技术职务", "手机号码"}
	var rows [][]string
	f.Limit, f.Offset, f.After = projections.MaxPageSize, 0, ""
	for {
		p, err := a.Q.Roster(r.Context(), f)
		if err != nil {
			return err
		}
		if len(rows)+len(p.Rows) > MaxRosterExport {
			return domain.Invalid("jurisdiction", fmt.Sprintf("符合条件的教师超过单次导出上限%d人，请按区县或单位分批导出", MaxRosterExport))
		}
		for _, t := range p.Rows {
			t = t.MaskedCopy()
			rows = append(rows, []string{t.Name, ident.Gender.Label(t.Gender), t.BirthDate, t.IDNumber, t.CountyName, t.UnitName,
				ident.TeachingStage.Label(t.MainStage), ident.Subject.Label(t.MainSubject), ident.ProfessionalTitle.Label(t.ProfessionalTitle), t.Mobile})
		}
		if p.Next == "" {
			break
		}
		f.After = p.Next
	}
	return creditWriteSheet(w, format, "教师名册", header, rows)
}

// profile shows a record, masked unless ?reveal=true by a role that needs
// the full values; every reveal is recorded.
func (a *TeacherReadArea) profile(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	actor := ActorOf(r)
	if _, err := a.Cmd.CanReadTeacher(r.Context(), actor, id); err != nil {
		return err
	}
	p, err := a.Q.Profile(r.Context(), id)
	if err != nil {
		return err
	}
	reveal := r.URL.Query().Get("reveal") == "true"
	switch {
	case reveal && !commands.RevealsPersonalData(actor):
		return fmt.Errorf("%w: this role may not reveal personal data", access.ErrForbidden)
	case reveal:
		a.s.Audit(r, commands.ActionRevealPersonal, "teacher:"+id.String(), "id_number,mobile")
	case actor.TeacherID == id:
		// A teacher sees their own record in full.
	default:
		p = p.MaskedCopy()
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(p.Revision, 10)))
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *TeacherReadArea) history(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.Cmd.CanReadTeacher(r.Context(), ActorOf(r), id); err != nil {
		return err
	}
	h, err := a.Q.History(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"teacher_id": id, "items": h})
	return nil
}

// adminScope is scope restricted to admins (queues are work lists).
func adminScope(actor access.Actor, asked string) (string, error) {
	if !actor.Role.IsAdmin() {
		return "", fmt.Errorf("%w: queues are for admins", access.ErrForbidden)
	}
	return scope(actor, asked)
}

func (a *TeacherReadArea) corrections(w http.ResponseWriter, r *http.Request) error {
	juris, err := adminScope(ActorOf(r), r.URL.Query().Get("jurisdiction"))
	if err != nil {
		return err
	}
	items, err := a.Q.PendingCorrections(r.Context(), juris)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (a *TeacherReadArea) transfers(w http.ResponseWriter, r *http.Request) error {
	juris, err := adminScope(ActorOf(r), r.URL.Query().Get("jurisdiction"))
	if err != nil {
		return err
	}
	items, err := a.Q.PendingTransfers(r.Context(), juris)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func parseTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, ident.ChinaTime); err == nil {
			return t, nil
		}
	}
	return time.Time{}, badRequest("bad_"+name, name+" 应为日期（2006-01-02）或 RFC 3339 时间")
}

// keyFieldAudit: who changed which key field when, for auditors and admins
// within their jurisdiction; ?format=csv downloads it.
func (a *TeacherReadArea) keyFieldAudit(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	q := r.URL.Query()
	juris, err := scope(actor, q.Get("jurisdiction"))
	if err != nil {
		return err
	}
	f := projections.AuditFilter{Jurisdiction: juris, Field: q.Get("field")}
	if f.TeacherID, err = optUUID(r, "teacher_id"); err != nil {
		return err
	}
	if f.ActorID, err = optUUID(r, "actor_id"); err != nil {
		return err
	}
	if f.From, err = parseTime(r, "from"); err != nil {
		return err
	}
	if f.To, err = parseTime(r, "to"); err != nil {
		return err
	}
	if f.Limit, f.Offset, err = page(r); err != nil {
		return err
	}
	if q.Get("format") == "csv" {
		f.Limit, f.Offset = 0, 0
		return spool(w, "text/csv; charset=utf-8", "key-field-audit.csv", func(out io.Writer) error {
			return a.Q.WriteKeyFieldAuditCSV(r.Context(), out, f)
		})
	}
	reveal := r.URL.Query().Get("reveal") == "true"
	if reveal && !commands.RevealsPersonalData(actor) {
		return fmt.Errorf("%w: %s may not reveal personal data", access.ErrForbidden, actor.Role)
	}
	p, err := a.Q.KeyFieldAudit(r.Context(), f)
	if err != nil {
		return err
	}
	if reveal {
		// Old and new ID numbers go out whole only on request, to a role
		// that may see them, and every such reveal is recorded.
		for i := range p.Entries {
			p.Entries[i].OldValue, p.Entries[i].NewValue = p.Entries[i].OldValue.Reveal(), p.Entries[i].NewValue.Reveal()
		}
		a.s.Audit(r, commands.ActionRevealPersonal, "key-field-audit:"+juris, fmt.Sprintf("%d entries, field %q", len(p.Entries), f.Field))
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// securityAudit is for auditors: logins, lockouts, password changes and
// reveals of personal data.
func (a *TeacherReadArea) securityAudit(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	if actor.Role != access.RoleAuditor || actor.Jurisdiction == "" {
		return fmt.Errorf("%w: the security audit is for auditors", access.ErrForbidden)
	}
	// An auditor sees the entries of its own jurisdiction.
	f := commands.SecurityFilter{Action: r.URL.Query().Get("action"), Subject: r.URL.Query().Get("subject"), Region: actor.Jurisdiction}
	var err error
	if f.AccountID, err = optUUID(r, "account_id"); err != nil {
		return err
	}
	if f.From, err = parseTime(r, "from"); err != nil {
		return err
	}
	if f.To, err = parseTime(r, "to"); err != nil {
		return err
	}
	if f.Limit, _, err = page(r); err != nil {
		return err
	}
	items, err := a.s.Security.List(r.Context(), f)
	if err != nil {
		return err
	}
	// A teacher's login is an ID number: it goes out masked by its type.
	type entry struct {
		commands.SecurityEntry
		Login ident.Masked `json:"login"`
	}
	out := make([]entry, len(items))
	for i, e := range items {
		out[i] = entry{SecurityEntry: e, Login: ident.NewMasked(ident.FieldLogin, e.Login)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (a *TeacherReadArea) units(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	asked := r.URL.Query().Get("jurisdiction")
	// Units are public knowledge inside the province: anyone logged in may
	// list a region's schools (a teacher needs it to ask for a correction).
	if asked == "" {
		asked = actor.Jurisdiction
	}
	if asked == "" {
		return badRequest("jurisdiction_required", "请指定区域（jurisdiction）")
	}
	limit, offset, err := page(r)
	if err != nil {
		return err
	}
	p, err := a.Q.Units(r.Context(), projections.UnitFilter{Jurisdiction: asked, Name: r.URL.Query().Get("name"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *TeacherReadArea) unit(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	u, err := a.Q.Unit(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(uint64(u.Revision), 10)))
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (a *TeacherReadArea) accounts(w http.ResponseWriter, r *http.Request) error {
	actor := ActorOf(r)
	juris, err := adminScope(actor, r.URL.Query().Get("jurisdiction"))
	if err != nil {
		return err
	}
	limit, offset, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p, err := a.Q.Accounts(r.Context(), projections.AccountFilter{Jurisdiction: juris, Role: access.Role(q.Get("role")),
		Name: q.Get("name"), Status: account.Status(q.Get("status")), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	for i := range p.Accounts {
		p.Accounts[i] = p.Accounts[i].MaskedCopy()
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

type createAccountRequest struct {
	Login         string `json:"login"`
	Role          string `json:"role"`
	Jurisdiction  string `json:"jurisdiction"`
	InstitutionID string `json:"institution_id"`
	DisplayName   string `json:"display_name"`
	Password      string `json:"password"`
}

func (a *TeacherReadArea) createAccount(w http.ResponseWriter, r *http.Request) error {
	var req createAccountRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in := commands.NewAccount{Login: strings.TrimSpace(req.Login), Role: access.Role(req.Role), Jurisdiction: req.Jurisdiction,
		DisplayName: req.DisplayName, Password: req.Password}
	if req.InstitutionID != "" {
		id, err := uuid.Parse(req.InstitutionID)
		if err != nil {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "institution_id", Reason: "应为 UUID"}}}
		}
		in.InstitutionID = id
	}
	res, pw, err := a.Cmd.CreateAccount(r.Context(), ActorOf(r), in)
	if err != nil {
		return err
	}
	WritePosition(w, res.Position)
	w.Header().Set("Cache-Control", "no-store") // carries the initial password
	writeJSON(w, http.StatusCreated, map[string]any{"id": res.ID, "revision": res.Revision, "position": res.Position.String(),
		"login": in.Login, "initial_password": pw, "must_change_password": true})
	return nil
}
