package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDemoDataLoadsOnceAndAdminsCanLogIn(t *testing.T) {
	forBackends(t, testDemoDataLoadsOnceAndAdminsCanLogIn)
}

func testDemoDataLoadsOnceAndAdminsCanLogIn(t *testing.T, backend string) {
	a := startApp(t, backend)
	var out bytes.Buffer
	if err := a.svc.LoadDemo(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "changan_admin") {
		t.Fatalf("demo output lists no logins: %s", out.String())
	}
	out.Reset()
	if err := a.svc.LoadDemo(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "nothing loaded") {
		t.Fatalf("a second demo load did something: %s", out.String())
	}
	c := a.login("changan_admin", DemoPassword, "Changed-2026")
	c.must(200, "GET", "/api/v1/regions?parent=1301", nil)
}
