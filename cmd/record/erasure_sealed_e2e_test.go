package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hbte/record/domain/ident"
)

// TestSealedTeacherReadsInEveryView: a teacher registered through the API
// is stored sealed (docs/INTEGRITY.md section 6); every view that reads
// the teacher's events (the batch check from the read model, the batch
// check replayed as of an instant, a list check, the profile, history and
// roster)
// shows the name and the ID number masked as the API masks it, never a
// "pd1:" value.
func TestSealedTeacherReadsInEveryView(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		a := startApp(t, backend)
		_, county, unit := provinceAndCounty(t, a)
		idNumber, name := demoID("13010219880412123"), "司马相如"
		var reg struct{ ID string }
		county.must(201, "POST", "/api/v1/teachers", map[string]string{"name": name, "id_type": "1", "id_number": idNumber, "unit_id": unit.ID,
			"work_start": "2010-09", "certificate_type": "3", "certificate_number": "20101301031000456", "mobile": "13803110077"}).json(t, &reg)
		if raw := a.rawEvents(t); !strings.Contains(string(raw), `"pd1:`) || strings.Contains(string(raw), name) {
			t.Fatalf("the teacher's events are not sealed (%d bytes read): the test proves nothing", len(raw))
		}

		type rows struct {
			Items []struct {
				Name     string `json:"name"`
				IDNumber string `json:"id_number"`
			} `json:"items"`
		}
		masked := ident.MaskID(idNumber)
		want := func(what string, r resp) {
			t.Helper()
			body := string(r.Body)
			if strings.Contains(body, "pd1:") {
				t.Errorf("%s shows a sealed value: %s", what, body)
			}
			var got rows
			r.json(t, &got)
			if len(got.Items) != 1 || got.Items[0].Name != name || got.Items[0].IDNumber != masked {
				t.Errorf("%s: want one row %s %s, got %s", what, name, masked, body)
			}
		}
		want("batch check of the county", county.must(200, "GET", "/api/v1/registration/checks?county=130102", nil))
		asOf := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		want("batch check as of an instant", county.must(200, "GET", "/api/v1/registration/checks?county=130102&as_of="+asOf, nil))
		want("list check", county.creditUpload(200, "/api/v1/registration/checks", "名单.csv", "text/csv", cwCSV("身份证件号码", idNumber)))
		for _, path := range []string{"/api/v1/teachers/" + reg.ID, "/api/v1/teachers/" + reg.ID + "/history",
			"/api/v1/teachers?county=130102", "/api/v1/teachers/" + reg.ID + "/registration",
			"/api/v1/teachers/" + reg.ID + "/registration/check"} {
			r := county.do("GET", path, nil)
			if strings.Contains(string(r.Body), "pd1:") {
				t.Errorf("GET %s shows a sealed value: %s", path, r.Body)
			}
		}
	})
}
