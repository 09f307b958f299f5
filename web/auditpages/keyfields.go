package auditpages

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// keyFieldRow is one change as the trail shows it.
type keyFieldRow struct {
	projections.AuditEntry
	Kind     string
	Old, New string
	Counties string
}

type keyFieldsData struct {
	Fields   []web.Option
	Counties []web.OptionGroup
	Query    url.Values
	// ActorName names the account an actor_id filter (from a row's link)
	// narrows to.
	ActorName string
	Rows      []keyFieldRow
	Total     int
	Offset    int
	Limit     int
	// CSV is the API's export of the same filter.
	CSV      string
	Filtered bool
}

// keyFields is the key-field change trail: the API's
// /audit/key-field-changes with the same filters, within the auditor's
// jurisdiction, paged on the server.
func (s *Section) keyFields(w http.ResponseWriter, r *http.Request) {
	actor := web.Actor(r)
	q := r.URL.Query()
	d := keyFieldsData{Counties: web.CountyGroups(s.k.Regions, actor.Jurisdiction), Query: url.Values{}, Limit: pageSize, Offset: offsetOf(q)}
	for _, f := range teacher.Fields() {
		if teacher.IsKeyField(f) {
			d.Fields = append(d.Fields, web.Option{Value: f, Label: teacher.FieldLabel(f)})
		}
	}
	page := web.Page{Title: "关键字段变更记录", Data: &d, Form: q}
	for _, k := range []string{"field", "county", "actor", "actor_id", "from", "to"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			d.Query.Set(k, v)
		}
	}
	d.Filtered = len(d.Query) > 0

	// The same jurisdiction rule as the API: the auditor's own, or a
	// county inside it; anything else is refused before reading.
	juris := actor.Jurisdiction
	if juris == "" {
		s.k.Fail(w, r, access.ErrForbidden)
		return
	}
	if c := d.Query.Get("county"); c != "" {
		if !actor.Covers(c) {
			s.k.Fail(w, r, fmt.Errorf("%w: %s is outside the auditor's jurisdiction", access.ErrForbidden, c))
			return
		}
		juris = c
	}
	f := projections.AuditFilter{Jurisdiction: juris, Field: d.Query.Get("field"), Limit: pageSize, Offset: d.Offset}
	var errs []domain.FieldError
	if f.Field != "" && !teacher.IsKeyField(f.Field) {
		errs = append(errs, domain.FieldError{Field: "field", Reason: "不是关键字段"})
	}
	if v := d.Query.Get("actor_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			errs = append(errs, domain.FieldError{Field: "actor", Reason: "操作人编号不正确"})
		} else if a, err := s.Teachers.Account(r.Context(), id); err == nil {
			f.ActorID, d.ActorName = id, a.DisplayName+"（"+a.Login+"）"
		} else {
			f.ActorID, d.ActorName = id, v
		}
	}
	if login := d.Query.Get("actor"); login != "" && f.ActorID == uuid.Nil {
		accts, err := s.Teachers.Accounts(r.Context(), projections.AccountFilter{Login: login, Limit: 1})
		switch {
		case err != nil:
			s.k.Fail(w, r, err)
			return
		case len(accts.Accounts) == 0:
			errs = append(errs, domain.FieldError{Field: "actor", Reason: "没有这个账号"})
		default:
			f.ActorID = accts.Accounts[0].AccountID
		}
	}
	from, to, err := period(q)
	if err != nil {
		s.views.Form(w, r, "keyfields", page, err)
		return
	}
	f.From, f.To = from, to
	if len(errs) > 0 {
		s.views.Form(w, r, "keyfields", page, web.ValidationErrors(errs...))
		return
	}
	res, err := s.Teachers.KeyFieldAudit(r.Context(), f)
	if err != nil {
		s.views.Form(w, r, "keyfields", page, err)
		return
	}
	d.Total = res.Total
	for _, e := range res.Entries {
		row := keyFieldRow{AuditEntry: e, Kind: projections.AuditKind(e.EventType),
			Old:      projections.AuditValue(e.Field, e.OldValue.Raw(), e.OldLabel),
			New:      projections.AuditValue(e.Field, e.NewValue.Raw(), e.NewLabel),
			Counties: s.k.Regions.Name(e.County)}
		if e.CountyAfter != e.County {
			row.Counties += " → " + s.k.Regions.Name(e.CountyAfter)
		}
		d.Rows = append(d.Rows, row)
	}
	d.CSV = csvLink(f)
	s.views.Render(w, r, http.StatusOK, "keyfields", page)
}

// csvLink is the API's CSV export of the filter: the API applies the same
// jurisdiction rule, masks ID numbers and takes the session cookie.
func csvLink(f projections.AuditFilter) string {
	v := url.Values{"format": {"csv"}, "jurisdiction": {f.Jurisdiction}}
	if f.Field != "" {
		v.Set("field", f.Field)
	}
	if f.ActorID != uuid.Nil {
		v.Set("actor_id", f.ActorID.String())
	}
	if !f.From.IsZero() {
		v.Set("from", f.From.Format(time.RFC3339))
	}
	if !f.To.IsZero() {
		v.Set("to", f.To.Format(time.RFC3339))
	}
	return "/api/v1/audit/key-field-changes?" + v.Encode()
}
