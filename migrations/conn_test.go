package migrations_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hbte/record/migrations"
	"github.com/hbte/record/migrations/pgtest"
)

// A google/uuid UUID parameter reaches PostgreSQL as the same UUID
// whatever the parameter's type (uuid, text, an array of uuid), NULL stays
// NULL, and the configured encode plan is the binary one (not the
// driver.Valuer text path).
func TestUUIDParameters(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	id := uuid.MustParse("6f1d2c1e-8f55-4d0b-9a51-3b8e3f0b7a10")
	var asText, fromArray string
	var same bool
	if err := pool.QueryRow(ctx, `SELECT $1::uuid = '6f1d2c1e-8f55-4d0b-9a51-3b8e3f0b7a10'::uuid, $2::text, ($3::uuid[])[2]::text`,
		id, id, []uuid.UUID{uuid.Nil, id}).Scan(&same, &asText, &fromArray); err != nil {
		t.Fatal(err)
	}
	if !same || asText != id.String() || fromArray != id.String() {
		t.Fatalf("uuid %v, as text %q, from an array %q", same, asText, fromArray)
	}
	var null bool
	if err := pool.QueryRow(ctx, `SELECT $1::uuid IS NULL`, (*uuid.UUID)(nil)).Scan(&null); err != nil || !null {
		t.Fatalf("nil *uuid.UUID: NULL %v, %v", null, err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	plan := conn.Conn().TypeMap().PlanEncode(2950 /* uuid */, 1 /* binary */, id)
	if plan == nil {
		t.Fatal("no binary encode plan for uuid.UUID")
	}
	if got := fmt.Sprintf("%T", plan); strings.Contains(got, "DriverValuer") {
		t.Fatalf("encode plan %s: the driver.Valuer path", got)
	}
}

// Pools compile no query (jit off), unless the URL says otherwise.
func TestPoolsRunWithoutJIT(t *testing.T) {
	pool := pgtest.New(t)
	var jit string
	if err := pool.QueryRow(context.Background(), `SHOW jit`).Scan(&jit); err != nil || jit != "off" {
		t.Fatalf("jit = %q (%v), want off", jit, err)
	}
	u, err := url.Parse(pgtest.URLFor("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("jit", "on")
	u.RawQuery = q.Encode()
	p, err := migrations.NewPool(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.QueryRow(context.Background(), `SHOW jit`).Scan(&jit); err != nil || jit != "on" {
		t.Fatalf("jit with jit=on in the URL = %q (%v), want on", jit, err)
	}
}
