package auditpages

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/web"
)

// securityActions are the actions of the security audit, as people call them.
var securityActions = []web.Option{
	{Value: commands.ActionLogin, Label: "登录"},
	{Value: commands.ActionLogout, Label: "退出"},
	{Value: commands.ActionAccountLocked, Label: "账号锁定"},
	{Value: commands.ActionPasswordChange, Label: "修改密码"},
	{Value: commands.ActionPasswordReset, Label: "重置密码"},
	{Value: commands.ActionRevealPersonal, Label: "查看完整个人信息"},
	{Value: commands.ActionAccessDenied, Label: "越权访问被拒"},
}

func actionLabel(a string) string {
	for _, o := range securityActions {
		if o.Value == a {
			return o.Label
		}
	}
	return a
}

type securityRow struct {
	commands.SecurityEntry
	ActionLabel string
	RoleLabel   string
	// Who is the login as it may be shown: a teacher's login is an ID
	// number, masked like every ID number in a list.
	Who string
}

type securityData struct {
	Actions []web.Option
	Query   url.Values
	Rows    []securityRow
	Offset  int
	Limit   int
	// Prev and Next are the other pages' queries; "" when there is none.
	Prev, Next string
	Filtered   bool
}

// security is the security audit (the API's /audit/security): logins,
// lockouts, password changes, reveals of personal data, newest first,
// filtered by period, action and login, paged. Like the API it is for
// auditors only.
func (s *Section) security(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := securityData{Actions: securityActions, Query: url.Values{}, Limit: pageSize, Offset: offsetOf(q)}
	for _, k := range []string{"action", "login", "from", "to"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			d.Query.Set(k, v)
		}
	}
	d.Filtered = len(d.Query) > 0
	page := web.Page{Title: "安全审计", Data: &d, Form: q}
	if a := d.Query.Get("action"); a != "" && actionLabel(a) == a {
		s.views.Form(w, r, "security", page, web.ValidationErrors(domain.FieldError{Field: "action", Reason: "没有这种操作"}))
		return
	}
	from, to, err := period(q)
	if err != nil {
		s.views.Form(w, r, "security", page, err)
		return
	}
	// One row more than a page tells whether there is a next page.
	// An auditor sees the entries of its own jurisdiction.
	items, err := s.Security.List(r.Context(), commands.SecurityFilter{Action: d.Query.Get("action"), Login: d.Query.Get("login"),
		From: from, To: to, Limit: pageSize + 1, Offset: d.Offset, Region: web.Principal(r).Jurisdiction})
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	if len(items) > pageSize {
		items = items[:pageSize]
		d.Next = pageQuery(d.Query, d.Offset+pageSize)
	}
	if d.Offset > 0 {
		d.Prev = pageQuery(d.Query, max(d.Offset-pageSize, 0))
	}
	for _, e := range items {
		row := securityRow{SecurityEntry: e, ActionLabel: actionLabel(e.Action), RoleLabel: access.Role(e.Role).Label(), Who: e.Login}
		if e.Role == string(access.RoleTeacher) || looksLikeID(e.Login) {
			row.Who = ident.MaskID(e.Login)
		}
		d.Rows = append(d.Rows, row)
	}
	s.views.Render(w, r, http.StatusOK, "security", page)
}

func pageQuery(base url.Values, offset int) string {
	q := url.Values{}
	for k, v := range base {
		q[k] = v
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	return q.Encode()
}

// looksLikeID: a failed login by an unknown name may be an ID number typed
// by a teacher; it is masked like one.
func looksLikeID(login string) bool {
	if len(login) != 18 {
		return false
	}
	for i, c := range login {
		if !(c >= '0' && c <= '9') && !(i == 17 && (c == 'X' || c == 'x')) {
			return false
		}
	}
	return true
}
