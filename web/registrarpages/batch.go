package registrarpages

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/httpapi/tabular"
	"github.com/hbte/record/web"
)

type batchRow struct {
	httpapi.BatchRow
	Class string
}

type batchData struct {
	Counties []web.OptionGroup
	AsOf     string
	// County is the county checked; List the stored uploaded list (its
	// hash) and ListName its file name.
	County, CountyName string
	List, ListName     string
	Query              url.Values
	Rows               []batchRow
	// RowErrors are the lines of an uploaded list that could not be read
	// as they are.
	RowErrors []string
	Total     int
	Offset    int
	Limit     int
	// Export is the query of the exports (the API's for a county, the
	// page's own for a list), without the format.
	ExportPath string
	Export     url.Values
	CanOpen    bool // the registrar may open a teacher's check
}

// OneCounty: the select has a single county (a county admin's own).
func (d *batchData) OneCounty() bool {
	return len(d.Counties) == 1 && len(d.Counties[0].Options) == 1
}

var shaPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// batch is the batch check as of a date: a whole county (the API's GET
// /registration/checks?county=) or an uploaded list (stored, then read
// back here page by page). Only the shown page is checked; the export
// checks every teacher.
func (s *Section) batch(w http.ResponseWriter, r *http.Request) {
	actor := web.Actor(r)
	q := r.URL.Query()
	d := &batchData{Counties: web.CountyGroups(s.k.Regions, actor.Jurisdiction), AsOf: strings.TrimSpace(q.Get("as_of")),
		County: q.Get("county"), List: q.Get("list"), ListName: filepath.Base(q.Get("name")),
		Query: url.Values{}, Offset: offsetOf(q), Limit: pageSize, CanOpen: actor.Role == access.RoleRegistrar}
	if d.AsOf == "" {
		d.AsOf = today()
	}
	form := url.Values{"county": {d.County}, "as_of": {d.AsOf}}
	page := web.Page{Title: "资格注册批量核查", Data: d, Form: form}
	at, err := httpapi.ParseCheckAt(d.AsOf)
	if err != nil {
		s.views.Form(w, r, "batch", page, err)
		return
	}
	d.Query.Set("as_of", d.AsOf)
	switch {
	case d.List != "":
		if !shaPattern.MatchString(d.List) {
			s.k.Fail(w, r, domain.ErrNotFound)
			return
		}
		t, err := s.storedList(r, d.List, d.ListName)
		if err != nil {
			s.views.Form(w, r, "batch", page, err)
			return
		}
		d.Query.Set("list", d.List)
		d.Query.Set("name", d.ListName)
		d.Total = len(t.Rows)
		for _, e := range t.Errors {
			d.RowErrors = append(d.RowErrors, fmt.Sprintf("第%d行：%s", e.Row, e.Reason))
		}
		rows, err := httpapi.BatchCheckLines(r.Context(), s.Cmd, actor, window(t.Rows, d.Offset, d.Limit), at)
		if err != nil {
			s.k.Fail(w, r, err)
			return
		}
		for _, row := range rows {
			d.add(row)
		}
		d.ExportPath, d.Export = "/registrar/batch/export", d.Query
	case d.County != "":
		// The API's rule: the actor's jurisdiction or a region inside it;
		// a county admin cannot check another county.
		if !strings.HasPrefix(d.County, actor.Jurisdiction) || !s.k.Regions.Valid(d.County) {
			s.k.Fail(w, r, fmt.Errorf("batch check of %s by %s: %w", d.County, actor.Jurisdiction, access.ErrForbidden))
			return
		}
		d.CountyName = s.k.RegionName(d.County)
		d.Query.Set("county", d.County)
		ids, err := s.Credits.TeachersIn(r.Context(), d.County, httpapi.MaxBatchCheck)
		if err != nil {
			s.k.Fail(w, r, err)
			return
		}
		if len(ids) > httpapi.MaxBatchCheck {
			s.views.Form(w, r, "batch", page, domain.Invalid("county", fmt.Sprintf("一次最多核查%d名教师，请按区县分批核查", httpapi.MaxBatchCheck)))
			return
		}
		d.Total = len(ids)
		rows, err := httpapi.BatchChecks(r.Context(), s.Cmd, actor, window(ids, d.Offset, d.Limit), at)
		if err != nil {
			s.k.Fail(w, r, err)
			return
		}
		for _, row := range rows {
			d.add(row)
		}
		d.ExportPath, d.Export = "/api/v1/registration/checks", url.Values{"county": {d.County}, "as_of": {d.AsOf}}
	}
	s.views.Render(w, r, http.StatusOK, "batch", page)
}

func (d *batchData) add(row httpapi.BatchRow) {
	row.IDNumber = maskID(row.IDNumber) // lists always mask
	d.Rows = append(d.Rows, batchRow{BatchRow: row, Class: outcomeClass(row.Outcome)})
}

func window[T any](xs []T, offset, limit int) []T {
	if offset >= len(xs) {
		return nil
	}
	return xs[offset:min(offset+limit, len(xs))]
}

// maxUpload bounds an uploaded list.
const maxUpload = tabular.DefaultMaxBytes

// uploadList takes an uploaded list of ID numbers (CSV or XLSX), checks
// that it reads, stores it and shows its batch check.
func (s *Section) uploadList(w http.ResponseWriter, r *http.Request) {
	actor := web.Actor(r)
	d := &batchData{Counties: web.CountyGroups(s.k.Regions, actor.Jurisdiction), Limit: pageSize}
	page := web.Page{Title: "资格注册批量核查", Data: d}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+64<<10)
	if err := r.ParseMultipartForm(maxUpload); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			err = domain.Invalid("file", fmt.Sprintf("文件不能超过%dMB", maxUpload>>20))
		} else {
			err = domain.Invalid("file", "请选择要上传的名单文件")
		}
		s.views.Form(w, r, "batch", page, err)
		return
	}
	d.AsOf = strings.TrimSpace(r.PostFormValue("as_of"))
	if d.AsOf == "" {
		d.AsOf = today()
	}
	page.Form = url.Values{"as_of": {d.AsOf}}
	if _, err := httpapi.ParseCheckAt(d.AsOf); err != nil {
		s.views.Form(w, r, "batch", page, err)
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.views.Form(w, r, "batch", page, domain.Invalid("file", "请选择要上传的名单文件"))
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		s.views.Form(w, r, "batch", page, domain.Invalid("file", "无法读取上传的文件"))
		return
	}
	name := filepath.Base(hdr.Filename)
	if _, err := httpapi.ReadIDList(name, data); err != nil {
		s.views.Form(w, r, "batch", page, err)
		return
	}
	ct := hdr.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		ct = mt
	}
	ref, err := s.Files.Put(r.Context(), actor, commands.FileSheet, name, ct, data)
	if err != nil {
		s.views.Form(w, r, "batch", page, err)
		return
	}
	http.Redirect(w, r, "/registrar/batch?"+url.Values{"list": {ref.SHA256}, "name": {name}, "as_of": {d.AsOf}}.Encode(), http.StatusSeeOther)
}

// storedList reads back a list the caller uploaded; anyone else's is
// answered as missing.
func (s *Section) storedList(r *http.Request, sha, name string) (*tabular.Table, error) {
	f, err := s.Files.Get(r.Context(), sha)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(f.Uploaders, web.Actor(r).UserID) {
		return nil, fmt.Errorf("list %s: %w", sha, domain.ErrNotFound)
	}
	return httpapi.ReadIDList(name, f.Data)
}

// exportList is the CSV or XLSX of an uploaded list's batch check (a
// county's export is the API's own), ID numbers masked.
func (s *Section) exportList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sha := q.Get("list")
	if !shaPattern.MatchString(sha) {
		s.k.Fail(w, r, domain.ErrNotFound)
		return
	}
	format := q.Get("format")
	if format != "csv" && format != "xlsx" {
		s.k.Fail(w, r, domain.Invalid("format", "导出格式应为 csv 或 xlsx"))
		return
	}
	at, err := httpapi.ParseCheckAt(q.Get("as_of"))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	t, err := s.storedList(r, sha, filepath.Base(q.Get("name")))
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	actor := web.Actor(r)
	rows, err := httpapi.BatchCheckLines(r.Context(), s.Cmd, actor, t.Rows, at)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	for i := range rows {
		rows[i].IDNumber = maskID(rows[i].IDNumber)
	}
	if err := httpapi.WriteBatchSheet(w, format, "注册核查-名单", rows); err != nil {
		s.k.Log.ErrorContext(r.Context(), "registrar: export", "err", err)
	}
}
