package region_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hbte/record/domain/region"
)

func TestHebei(t *testing.T) {
	tr := region.Default()
	if got := tr.Name("13"); got != "河北省" {
		t.Errorf("Name(13) = %q", got)
	}
	cities := tr.Children("13")
	want := []string{"1301", "1302", "1303", "1304", "1305", "1306", "1307", "1308", "1309", "1310", "1311"}
	if !slices.Equal(cities, want) {
		t.Errorf("Children(13) = %v, want %v", cities, want)
	}
	if got := len(tr.HebeiCounties()); got != 190 {
		t.Errorf("len(HebeiCounties()) = %d, want 190", got)
	}
	if !slices.Contains(tr.HebeiCounties(), "130171") {
		t.Error("development zone 130171 missing")
	}
	if got := tr.FullName("130102"); got != "河北省石家庄市长安区" {
		t.Errorf("FullName(130102) = %q", got)
	}
	if got := tr.FullName("110101"); got != "北京市东城区" {
		t.Errorf("FullName(110101) = %q", got)
	}
}

func TestLookups(t *testing.T) {
	tr := region.Default()
	tests := []struct {
		code   string
		kind   region.Kind
		parent string
		valid  bool
	}{
		{"13", region.KindProvince, "", true},
		{"1301", region.KindCity, "13", true},
		{"130102", region.KindCounty, "1301", true},
		{"1312", region.KindUnknown, "", false},
		{"139999", region.KindUnknown, "", false},
		{"81", region.KindUnknown, "", false},
		{"", region.KindUnknown, "", false},
	}
	for _, tt := range tests {
		if got := tr.Kind(tt.code); got != tt.kind {
			t.Errorf("Kind(%q) = %v, want %v", tt.code, got, tt.kind)
		}
		if got := tr.Parent(tt.code); got != tt.parent {
			t.Errorf("Parent(%q) = %q, want %q", tt.code, got, tt.parent)
		}
		if got := tr.Valid(tt.code); got != tt.valid {
			t.Errorf("Valid(%q) = %v, want %v", tt.code, got, tt.valid)
		}
	}
	if _, ok := tr.County("1301"); ok {
		t.Error("County(1301) found a city")
	}
	if _, ok := tr.City("1301"); !ok {
		t.Error("City(1301) not found")
	}
	if _, ok := tr.Province("130102"); ok {
		t.Error("Province(130102) found a county")
	}
	if !tr.Contains("1301", "130102") || tr.Contains("1302", "130102") || tr.Contains("13", "139999") {
		t.Error("Contains wrong")
	}
	if got := len(tr.Provinces()); got != 31 {
		t.Errorf("len(Provinces()) = %d, want 31", got)
	}
}

func TestIDProvince(t *testing.T) {
	tr := region.Default()
	for code, want := range map[string]bool{"13": true, "11": true, "71": true, "81": true, "82": true, "99": false, "10": false} {
		if _, got := tr.IDProvince(code); got != want {
			t.Errorf("IDProvince(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestChildrenIsACopy(t *testing.T) {
	tr := region.Default()
	c := tr.Children("13")
	c[0] = "9999"
	if tr.Children("13")[0] != "1301" {
		t.Error("Children exposes internal slice")
	}
}

func TestParseRejectsBadData(t *testing.T) {
	good := map[string]string{
		"data/provinces.csv": "code,name\n13,\"河北省\"\n",
		"data/cities.csv":    "code,name,provinceCode\n1301,\"石家庄市\",13\n",
		"data/areas.csv":     "code,name,cityCode,provinceCode\n130102,\"长安区\",1301,13\n",
	}
	tests := []struct {
		name, file, body, wantErr string
	}{
		{"ok", "", "", ""},
		{"orphan county", "data/areas.csv", "code,name,cityCode,provinceCode\n130202,\"路南区\",1302,13\n", "unknown parent"},
		{"short code", "data/cities.csv", "code,name,provinceCode\n131,\"x\",13\n", "bad code"},
		{"duplicate", "data/provinces.csv", "code,name\n13,\"河北省\"\n13,\"河北省\"\n", "duplicate"},
	}
	for _, tt := range tests {
		fsys := fstest.MapFS{}
		for k, v := range good {
			fsys[k] = &fstest.MapFile{Data: []byte(v)}
		}
		if tt.file != "" {
			fsys[tt.file] = &fstest.MapFile{Data: []byte(tt.body)}
		}
		_, err := region.Parse(fsys)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error %v, want containing %q", tt.name, err, tt.wantErr)
		}
	}
}
