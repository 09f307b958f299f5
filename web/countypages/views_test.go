package countypages

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

// A refused form's values and reasons show only in the form that was sent.
func TestFormStateBelongsToOneForm(t *testing.T) {
	f := formState{Which: "unit", Values: map[string][]string{"reason": {"调整"}}, Fields: map[string]string{"reason": "请填写理由"}}
	if f.Val("unit", "reason") != "调整" || f.Err("unit", "reason") != "请填写理由" {
		t.Fatalf("the sent form lost its state: %+v", f)
	}
	if f.Val("transfer", "reason") != "" || f.Err("transfer", "reason") != "" {
		t.Fatal("another form shows the sent form's state")
	}
}
