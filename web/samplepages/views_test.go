package samplepages

import (
	"io/fs"
	"testing"

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
