package registrarpages

import (
	"io/fs"
	"testing"

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

func TestWindow(t *testing.T) {
	xs := []int{1, 2, 3, 4, 5}
	for _, c := range []struct{ off, lim, want int }{{0, 2, 2}, {4, 2, 1}, {5, 2, 0}, {9, 2, 0}} {
		if got := len(window(xs, c.off, c.lim)); got != c.want {
			t.Fatalf("window(%d, %d) has %d, want %d", c.off, c.lim, got, c.want)
		}
	}
}

// A county admin's select has their county alone.
func TestOneCounty(t *testing.T) {
	tree := region.Default()
	if d := (&batchData{Counties: web.CountyGroups(tree, "130102")}); !d.OneCounty() {
		t.Fatalf("a county admin's select: %+v", d.Counties)
	}
	if d := (&batchData{Counties: web.CountyGroups(tree, "1301")}); d.OneCounty() {
		t.Fatal("a city's select has one county")
	}
}
