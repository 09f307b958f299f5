package ident

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestMaskedShowsItselfMaskedEverywhere(t *testing.T) {
	id := NewMasked(FieldIDNumber, "130102199001011235")
	mob := NewMasked(FieldMobile, "13812341234")
	login := NewMasked(FieldLogin, "130102199001011235")
	admin := NewMasked(FieldLogin, "changan_admin")
	other := NewMasked("name", "王建国")
	js, _ := json.Marshal(map[string]any{"id": id, "mobile": mob, "login": login, "admin": admin, "name": other})
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "id", id, "mobile", mob)
	for _, out := range []string{string(js), fmt.Sprint(id, mob, login), logs.String()} {
		if strings.Contains(out, "199001011235") || strings.Contains(out, "2341234") {
			t.Fatalf("personal data out in full: %s", out)
		}
	}
	if !strings.Contains(string(js), "130102********1235") || !strings.Contains(string(js), "138****1234") ||
		!strings.Contains(string(js), "changan_admin") || !strings.Contains(string(js), "王建国") {
		t.Fatalf("masked JSON: %s", js)
	}
	if got, _ := json.Marshal(id.Reveal()); string(got) != `"130102199001011235"` {
		t.Fatalf("revealed: %s", got)
	}
	var back Masked
	if err := json.Unmarshal([]byte(`"130102********1235"`), &back); err != nil || back.Raw() != "130102********1235" {
		t.Fatalf("unmarshal: %v %q", err, back.Raw())
	}
}
