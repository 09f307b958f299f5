package auditpages

import (
	"io/fs"
	"net/url"
	"testing"
	"time"

	"github.com/hbte/record/domain/region"
	"github.com/hbte/record/web"
)

// The views parse with the shared layout (a broken template would fail the
// service's start).
func TestViewsParse(t *testing.T) {
	sub, err := fs.Sub(views, "views")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&web.Kit{}).Parse(sub); err != nil {
		t.Fatal(err)
	}
}

// A period is China dates with both days included; a bad or reversed one
// is a field error.
func TestPeriod(t *testing.T) {
	from, to, err := period(url.Values{"from": {"2026-01-01"}, "to": {"2026-01-31"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC); !from.Equal(want) {
		t.Fatalf("from = %s, want %s", from.UTC(), want)
	}
	if want := time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC); !to.Equal(want) {
		t.Fatalf("to = %s, want %s (the end of the last day in China)", to.UTC(), want)
	}
	if _, _, err := period(url.Values{"from": {"2026-02-01"}, "to": {"2026-01-31"}}); err == nil {
		t.Fatal("a reversed period passes")
	}
	if _, _, err := period(url.Values{"from": {"31.01.2026"}}); err == nil {
		t.Fatal("a bad date passes")
	}
	if f, to, err := period(url.Values{}); err != nil || !f.IsZero() || !to.IsZero() {
		t.Fatalf("no period: %v %v %v", f, to, err)
	}
}

// The county select offers the jurisdiction's counties only.
func TestCountyGroups(t *testing.T) {
	tree := region.Default()
	if g := web.CountyGroups(tree, "130104"); len(g) != 1 || len(g[0].Options) != 1 || g[0].Options[0].Value != "130104" {
		t.Fatalf("a county's select: %+v", g)
	}
	for _, g := range web.CountyGroups(tree, "1301") {
		for _, o := range g.Options {
			if o.Value[:4] != "1301" {
				t.Fatalf("石家庄's select offers %s", o.Value)
			}
		}
	}
	if n := len(web.CountyGroups(tree, "13")); n < 11 {
		t.Fatalf("Hebei's select has %d cities", n)
	}
}
