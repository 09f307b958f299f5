package ident_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/ident"
)

var today = time.Date(2026, 11, 28, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// fieldOf returns the single field a validation error names.
func fieldOf(t *testing.T, err error) string {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 {
		t.Fatalf("error %v is not a one-field ValidationError", err)
	}
	if !errors.Is(err, domain.ErrValidation) {
		t.Fatalf("error %v does not match ErrValidation", err)
	}
	return ve.Fields[0].Field
}

func TestCheckChar(t *testing.T) {
	tests := []struct {
		in   string
		want byte
	}{
		{"11010519491231002", 'X'},
		{"13010219900101123", '7'},
		{"13010220000229002", '6'},
		{"13012419850615007", '6'},
	}
	for _, tt := range tests {
		if got := ident.CheckChar(tt.in); got != tt.want {
			t.Errorf("CheckChar(%s) = %c, want %c", tt.in, got, tt.want)
		}
	}
}

func TestParseResidentID(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantNumber string
		wantBirth  string
		wantGender string
		wantWarn   bool
		wantErr    string // substring of the Chinese reason
	}{
		{"well-known example", "11010519491231002X", "11010519491231002X", "1949-12-31", "2", false, ""},
		{"lowercase x normalised", "11010519491231002x", "11010519491231002X", "1949-12-31", "2", false, ""},
		{"spaces trimmed", " 130102199001011237 ", "130102199001011237", "1990-01-01", "1", false, ""},
		{"leap day", "130102200002290026", "130102200002290026", "2000-02-29", "2", false, ""},
		{"hebei county", "13012319850615007X", "13012319850615007X", "1985-06-15", "1", false, ""},
		{"old code of 栾城县 warns", "130124198506150076", "130124198506150076", "1985-06-15", "1", true, ""},
		{"development zone", "130171198506150070", "130171198506150070", "1985-06-15", "1", false, ""},
		{"unknown county is a warning", "13990019800515001X", "13990019800515001X", "1980-05-15", "1", true, ""},
		{"hong kong prefix", "810000198005150022", "810000198005150022", "1980-05-15", "2", false, ""},
		{"wrong check char", "130102199001011235", "", "", "", false, "校验位"},
		{"even sequence is female", "130102199001011245", "130102199001011245", "1990-01-01", "2", false, ""},
		{"wrong check char X", "13010219900101124X", "", "", "", false, "校验位"},
		{"empty", "", "", "", "", false, "请填写"},
		{"17 digits", "13010219900101123", "", "", "", false, "18位"},
		{"letter inside", "1301021990O1011237", "", "", "", false, "数字"},
		{"X not last", "X30102199001011237", "", "", "", false, "数字"},
		{"unknown province", withCheck("99010219900101123"), "", "", "", false, "省级"},
		{"feb 30", withCheck("13010219900230123"), "", "", "", false, "不是有效日期"},
		{"feb 29 non-leap", withCheck("13010219010229123"), "", "", "", false, "不是有效日期"},
		{"month 13", withCheck("13010219901301123"), "", "", "", false, "不是有效日期"},
		{"future birth", withCheck("13010220301201123"), "", "", "", false, "将来"},
		{"born today", withCheck("13010220261128123"), "", "", "", false, "将来"},
		{"before 1900", withCheck("13010218991231123"), "", "", "", false, "1900"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warns, err := ident.ParseResidentID(tt.in, today)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseResidentID(%q) = %+v, want error", tt.in, got)
				}
				if f := fieldOf(t, err); f != ident.FieldIDNumber {
					t.Errorf("field = %q", f)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseResidentID(%q): %v", tt.in, err)
			}
			if got.Number != tt.wantNumber || got.BirthDate.Format(ident.DateLayout) != tt.wantBirth || got.Gender != tt.wantGender {
				t.Errorf("got %s %s %s, want %s %s %s", got.Number, got.BirthDate.Format(ident.DateLayout), got.Gender,
					tt.wantNumber, tt.wantBirth, tt.wantGender)
			}
			if (len(warns) > 0) != tt.wantWarn {
				t.Errorf("warnings = %v, want warning %v", warns, tt.wantWarn)
			}
		})
	}
}

func withCheck(first17 string) string { return first17 + string(ident.CheckChar(first17)) }

func TestParseCertificateNumber(t *testing.T) {
	tests := []struct {
		name     string
		in, typ  string
		wantType string
		wantErr  string
	}{
		{"senior secondary", "20121310040012345", "4", "4", ""},
		{"gender digit 0", "20151300130001234", "3", "3", ""},
		{"gender digit 2", "20151300122001234", "2", "2", ""},
		{"spaces removed", "2012 1310 0400 12345", "4", "4", ""},
		{"type not given", "20121310040012345", "", "4", ""},
		{"type disagrees", "20121310040012345", "3", "", "不一致"},
		{"16 digits", "2012131004001234", "4", "", "17位"},
		{"letters", "2012131004001234A", "4", "", "数字"},
		{"type 8", "20121310080012345", "", "", "1-7"},
		{"type 0", "20121310000012345", "", "", "1-7"},
		{"gender digit 3", "20121310043012345", "4", "", "0、1或2"},
		{"future year", "20301310040012345", "4", "", "年份"},
		{"too old", "19801310040012345", "4", "", "年份"},
		{"bad province", "20129910040012345", "4", "", "省级"},
		{"empty", "", "4", "", "请填写"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ident.ParseCertificateNumber(tt.in, tt.typ, today)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				if f := fieldOf(t, err); f != ident.FieldCertificateNumber {
					t.Errorf("field = %q", f)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Type != tt.wantType || len(got.Number) != 17 || got.Province != "13" {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestNormalizeLegacyCertificateNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hb-1998 0012a", "HB-19980012A"},
		{"", ""},
		{"证书123", ""},
		{strings.Repeat("1", 41), ""},
	}
	for _, tt := range tests {
		got, err := ident.NormalizeLegacyCertificateNumber(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("NormalizeLegacyCertificateNumber(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeMobile(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812341234", "13812341234"},
		{"+86 138 1234 1234", "13812341234"},
		{"0086-138-1234-1234", "13812341234"},
		{"+8619912341234", "19912341234"},
		{" 166 1234 1234 ", "16612341234"},
		{"12812341234", ""},
		{"1381234123", ""},
		{"138123412345", ""},
		{"23812341234", ""},
		{"1381234123a", ""},
		{"86 13812341234", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := ident.NormalizeMobile(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("NormalizeMobile(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if err != nil && fieldOf(t, err) != ident.FieldMobile {
			t.Errorf("wrong field for %q", tt.in)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Zhang.San@Example.COM", "Zhang.San@example.com"},
		{" li_si+hb@mail.hebtu.edu.cn ", "li_si+hb@mail.hebtu.edu.cn"},
		{"a@b.cn", "a@b.cn"},
		{"no-at-sign.cn", ""},
		{"a@@b.cn", ""},
		{"a@b", ""},
		{"a b@c.cn", ""},
		{"a@-b.cn", ""},
		{"a@b.c", ""},
		{"a@1.2.3.4", ""},
		{".a@b.cn", ""},
		{"a..b@c.cn", ""},
		{"张三@b.cn", ""},
		{"Name <a@b.cn>", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := ident.NormalizeEmail(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		fn       func(string) string
		in, want string
	}{
		{ident.MaskID, "130102199001011235", "130102********1235"},
		{ident.MaskID, "11010519491231002X", "110105********002X"},
		{ident.MaskID, "H1234567", "H******7"},
		{ident.MaskID, "ab", "**"},
		{ident.MaskMobile, "13812341234", "138****1234"},
		{ident.MaskMobile, "12345", "***45"},
		{ident.MaskMobile, "", ""},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDicts(t *testing.T) {
	if n := len(ident.Ethnicity.Entries()); n != 58 {
		t.Errorf("ethnicity has %d entries, want 56 + 2", n)
	}
	tests := []struct {
		d           *ident.Dict
		code, label string
	}{
		{ident.Gender, "1", "男"},
		{ident.Gender, "2", "女"},
		{ident.Ethnicity, "01", "汉族"},
		{ident.Ethnicity, "11", "满族"},
		{ident.Ethnicity, "56", "基诺族"},
		{ident.PoliticalStatus, "01", "中共党员"},
		{ident.PoliticalStatus, "13", "群众"},
		{ident.CertificateType, "6", "中等职业学校实习指导教师资格"},
		{ident.SchoolArea, "3", "乡村"},
		{ident.Education, "21", "大学本科毕业"},
		{ident.IDType, "1", "居民身份证"},
	}
	for _, tt := range tests {
		if got := tt.d.Label(tt.code); got != tt.label {
			t.Errorf("%s.Label(%q) = %q, want %q", tt.d.Name(), tt.code, got, tt.label)
		}
	}
	if got := ident.Ethnicity.Label("77"); got != "77" {
		t.Errorf("unknown code label = %q, want the code", got)
	}
	if _, err := ident.PoliticalStatus.Check("political_status", "14"); err == nil || fieldOf(t, err) != "political_status" {
		t.Errorf("Check(14) = %v", err)
	}
	if got, err := ident.PoliticalStatus.Check("political_status", " 13 "); got != "13" || err != nil {
		t.Errorf("Check(13) = %q, %v", got, err)
	}
	if ident.EducationRank("11") <= ident.EducationRank("21") || ident.EducationRank("21") <= ident.EducationRank("31") {
		t.Error("EducationRank does not order doctorate > bachelor > college")
	}
}

func TestParseDateAndMonth(t *testing.T) {
	if _, err := ident.ParseDate("birth_date", "出生日期", "1990-02-30"); err == nil {
		t.Error("Feb 30 accepted")
	}
	if d, err := ident.ParseDate("birth_date", "出生日期", "1990-02-28"); err != nil || d.Day() != 28 {
		t.Errorf("ParseDate = %v, %v", d, err)
	}
	if _, err := ident.ParseMonth("work_start", "参加工作年月", "2010-13"); err == nil {
		t.Error("month 13 accepted")
	}
	if got := ident.Today(today).Format(ident.DateLayout); got != "2026-11-28" {
		t.Errorf("Today = %s", got)
	}
}
