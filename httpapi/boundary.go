package httpapi

import (
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/text"
)

// cleanStrings applies the text boundary check (domain/text) to every
// string a JSON body decoded into, in place: struct fields (named by their
// JSON keys), map keys and values, slice elements. Every bad field is
// reported at once.
func cleanStrings(v any) error {
	var f text.Fields
	walkStrings(reflect.ValueOf(v), "", &f)
	return f.Err()
}

func walkStrings(v reflect.Value, path string, f *text.Fields) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, f)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(f.Clean(path, v.String()))
		} else {
			f.Clean(path, v.String())
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			p := path
			switch {
			case sf.Anonymous && name == "":
			case name != "":
				p = join(path, name)
			default:
				p = join(path, sf.Name)
			}
			walkStrings(v.Field(i), p, f)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // raw bytes (files), checked by content
		}
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), path+"["+strconv.Itoa(i)+"]", f)
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return
		}
		iter := v.MapRange()
		type kv struct{ k, val reflect.Value }
		var fixes []kv
		for iter.Next() {
			k := iter.Key().String()
			ck := f.Clean(join(path, k), k)
			val := iter.Value()
			if val.Kind() == reflect.String {
				cv := f.Clean(join(path, k), val.String())
				if ck != k || cv != val.String() {
					fixes = append(fixes, kv{reflect.ValueOf(ck).Convert(v.Type().Key()), reflect.ValueOf(cv).Convert(v.Type().Elem())})
					v.SetMapIndex(iter.Key(), reflect.Value{})
				}
				continue
			}
			// Values of other kinds are checked, not rewritten (map
			// elements cannot be set in place).
			walkStrings(val, join(path, k), f)
		}
		for _, x := range fixes {
			v.SetMapIndex(x.k, x.val)
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// checkQuery refuses a request whose path or query string holds text that
// fails the boundary check (a NUL in ?name= would otherwise reach SQL).
func (s *Server) checkQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := QueryProblem(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// QueryProblem is the boundary check of a request's path and query string
// (the web pages use it too).
func QueryProblem(r *http.Request) error {
	var details []domain.FieldError
	if p := text.Problem(r.URL.Path); p != "" {
		details = append(details, domain.FieldError{Field: "path", Reason: p})
	}
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return badRequest("bad_query", "查询参数格式错误")
	}
	for k, vs := range q {
		if p := text.Problem(k); p != "" {
			details = append(details, domain.FieldError{Field: "query", Reason: p})
			continue
		}
		for _, v := range vs {
			if p := text.Problem(v); p != "" {
				details = append(details, domain.FieldError{Field: k, Reason: p})
			}
		}
	}
	if len(details) > 0 {
		return badRequest("bad_text", "请求中含有无效字符", details...)
	}
	return nil
}

// parseQuery is url.ParseQuery without dropping what it cannot parse: a
// malformed escape is an error, not a silently missing parameter.
func parseQuery(raw string) (url.Values, error) { return url.ParseQuery(raw) }
