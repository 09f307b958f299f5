package credit_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/credit"
)

// A sampled audit's revocation (creditaudit) takes the entry out of the
// totals; the city admin who reviewed may carry it; another county may not;
// carrying it again records nothing.
func TestRevokeAudited(t *testing.T) {
	l := credit.NewLedger(uuid.New())
	g := projectGrant(uuid.New(), 40, day(2023, 6, 30))
	if _, err := l.Grant(institution, county, g); err != nil {
		t.Fatal(err)
	}
	city := access.Actor{UserID: uuid.New(), Role: access.RoleCityAdmin, Jurisdiction: "1301"}
	at := g.At.AddDate(1, 0, 0)
	if _, err := l.RevokeAudited(otherCounty, county, g.EntryID, "抽查复核撤销：材料不实", uuid.New(), at); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("another county: %v", err)
	}
	if _, err := l.RevokeAudited(city, county, g.EntryID, "抽查复核撤销：材料不实", uuid.Nil, at); err == nil {
		t.Fatal("no cause accepted")
	}
	ok, err := l.RevokeAudited(city, county, g.EntryID, "抽查复核撤销：材料不实", uuid.New(), at)
	if err != nil || !ok || len(l.Live()) != 0 || !l.Entries()[0].Revoked {
		t.Fatalf("revoke: %v %v %+v", ok, err, l.Entries())
	}
	if ok, err := l.RevokeAudited(city, county, g.EntryID, "抽查复核撤销：材料不实", uuid.New(), at); ok || err != nil {
		t.Fatalf("carried again: %v %v", ok, err)
	}
	if _, err := l.RevokeAudited(city, county, uuid.New(), "x", uuid.New(), at); !errors.Is(err, credit.ErrNoSuchEntry) {
		t.Fatalf("unknown entry: %v", err)
	}
}
