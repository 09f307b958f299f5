package teacherpages

import (
	"io"
	"io/fs"
	"log/slog"
	"testing"

	"github.com/hbte/record/web"
)

// Every view parses with the shared layout.
func TestViewsParse(t *testing.T) {
	k := &web.Kit{Config: web.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	sub, err := fs.Sub(views, "views")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Parse(sub); err != nil {
		t.Fatal(err)
	}
}
