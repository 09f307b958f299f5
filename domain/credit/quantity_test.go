package credit_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/credit"
)

func TestParseQuantity(t *testing.T) {
	for in, want := range map[string]string{"359": "359", "0.5": "0.5", " 12.0 ": "12", "359.5": "359.5", "0": "0"} {
		q, err := credit.ParseQuantity(in)
		if err != nil || q.String() != want {
			t.Errorf("ParseQuantity(%q) = %s, %v; want %s", in, q, err, want)
		}
	}
	for _, in := range []string{"", "0.25", "1e3", "-1", "+1", "1,5", ".5", "5.", "二十", "1.5.0", "99999999999999"} {
		if q, err := credit.ParseQuantity(in); err == nil {
			t.Errorf("ParseQuantity(%q) = %s, want refused", in, q)
		}
	}
}

// Stored events with integer hours and float credits decode to the same
// amounts; an integral amount encodes exactly as before.
func TestQuantityJSONKeepsOldEvents(t *testing.T) {
	var g credit.Granted
	old := `{"hours":90,"credits":7.5,"year":2020}`
	if err := json.Unmarshal([]byte(old), &g); err != nil {
		t.Fatal(err)
	}
	if g.Hours != credit.Whole(90) || g.Credits != credit.Tenths(75) {
		t.Fatalf("decoded %s h %s credits", g.Hours, g.Credits)
	}
	var q credit.Quantity
	if err := json.Unmarshal([]byte(`2.25`), &q); err != nil || q.String() != "2.25" {
		t.Fatalf("old two-place credits: %s %v", q, err)
	}
	for _, c := range []struct {
		q    credit.Quantity
		want string
	}{{credit.Whole(90), "90"}, {credit.Tenths(3595), "359.5"}, {credit.Quantity{}, "0"}} {
		b, _ := json.Marshal(c.q)
		if string(b) != c.want {
			t.Errorf("marshal %s = %s, want %s", c.q, b, c.want)
		}
	}
}

// The ledger accepts one decimal place and sums exactly; a second decimal
// place is refused, never rounded.
func TestLedgerTotalsAreExact(t *testing.T) {
	l := credit.NewLedger(uuid.New())
	admin := countyAdmin
	for i, h := range []string{"0.1", "0.2", "89.7"} {
		q, err := credit.ParseQuantity(h)
		if err != nil {
			t.Fatal(err)
		}
		g := importGrant(i, q)
		if _, err := l.Grant(admin, "130102", g); err != nil {
			t.Fatal(err)
		}
	}
	if got := l.TotalBetween(day(2020, 1, 1), day(2021, 1, 1)).Hours; got != credit.Whole(90) {
		t.Fatalf("0.1 + 0.2 + 89.7 = %s, want 90", got)
	}
	var two credit.Quantity
	_ = json.Unmarshal([]byte(`0.25`), &two)
	_, err := l.Grant(admin, "130102", importGrant(9, two))
	var v *domain.ValidationError
	if !errors.As(err, &v) || v.Fields[0].Field != "hours" {
		t.Fatalf("0.25 h: %v, want a field error on hours", err)
	}
}

func importGrant(i int, hours credit.Quantity) credit.Grant {
	on := day(2020, 5, 1+i)
	return credit.Grant{
		EntryID: uuid.New(), Year: 2020, CompletedOn: on, Level: credit.LevelCounty, Category: credit.CategoryTraining,
		Hours: hours, Title: "县级培训", At: on,
		Source: credit.Source{Kind: credit.SourceImport, System: "旧系统", ExternalID: fmt.Sprintf("R%d", i)},
	}
}
