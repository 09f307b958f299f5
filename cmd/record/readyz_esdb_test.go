package main

import (
	"net/http"
	"testing"
	"time"
)

// TestReadyzChecksEventStoreDB: /readyz asks the EventStoreDB node itself,
// answers 503 within its bound while the node is down, and 200 again once
// it is back.
func TestReadyzChecksEventStoreDB(t *testing.T) {
	a := startApp(t, "esdb")
	get := func() (int, time.Duration) {
		start := time.Now()
		res, err := http.Get(a.srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, time.Since(start)
	}
	if code, _ := get(); code != http.StatusOK {
		t.Fatalf("readyz with the node up: %d", code)
	}
	// The runner stops first: a node outage during its catch-up read ends
	// Run with an error (the runner's own retry policy, not this test's
	// subject).
	a.stopRunner()
	a.fake.Stop()
	for i := 0; i < 3; i++ {
		code, took := get()
		if code != http.StatusServiceUnavailable {
			t.Fatalf("readyz with the node down: %d", code)
		}
		if took > 3*time.Second {
			t.Fatalf("readyz took %v with the node down", took)
		}
	}
	if err := a.fake.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if code, _ := get(); code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("readyz never recovered after the node came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
