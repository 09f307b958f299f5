package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

// A shutdown drains HTTP before it stops the projections: a query that
// waits to read its own write still gets its answer.
func TestShutdownDrainsHTTPBeforeStoppingProjections(t *testing.T) {
	pool := pgtest.New(t)
	store := postgres.New(pool)
	cfg := ConfigFromEnv()
	cfg.BcryptCost = 4
	cfg.DataDir = t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPAddr = l.Addr().String()
	l.Close()
	svc := Wire(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), pool, store, time.Now)
	svc.HTTP.MaxWait = 20 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- svc.Serve(ctx) }()
	defer cancel()
	if _, err := svc.CreateProvinceAdmin(context.Background(), "prov", "省级管理员", "Prov-Pass-1"); err != nil {
		t.Fatal(err)
	}
	base := "http://" + cfg.HTTPAddr
	var token string
	for i := 0; ; i++ { // the listener starts in its own goroutine
		tok, err := apiLogin(base, "prov", "Prov-Pass-1")
		if err == nil {
			token = tok
			break
		}
		if i > 100 {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	req, _ := http.NewRequest("PUT", base+"/api/v1/me/password", strings.NewReader(`{"old_password":"Prov-Pass-1","new_password":"Prov-Pass-2"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 200 {
		t.Fatalf("password change: %v %v", r, err)
	}

	// Hold the feed back with an open transaction, then append: the event
	// is stored but not yet visible to the projections.
	tx, err := pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(context.Background(), `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	res, err := store.Append(context.Background(), "unrelated-"+uuid.NewString(), eventstore.Any(),
		eventstore.EventData{ID: uuid.New(), Type: "test.unrelated", Data: []byte(`{}`), Metadata: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	answered := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Consistent-After", res.Position.String())
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- 0
			return
		}
		r.Body.Close()
		answered <- r.StatusCode
	}()
	time.Sleep(300 * time.Millisecond) // the query is waiting now
	cancel()                           // SIGTERM
	time.Sleep(300 * time.Millisecond) // shutdown has begun
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case status := <-answered:
		if status != http.StatusOK {
			t.Fatalf("the waiting query got %d during shutdown, want 200", status)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the waiting query never got an answer")
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

func apiLogin(base, login, password string) (string, error) {
	body := `{"login":"` + login + `","password":"` + password + `"}`
	r, err := http.Post(base+"/api/v1/sessions", "application/json", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer r.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(r.Body).Decode(&out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", fmt.Errorf("login: status %d", r.StatusCode)
	}
	return out.Token, nil
}

func TestUnknownEventStoreSchemeRefusesToStart(t *testing.T) {
	for _, u := range []string{"kurrentdb://127.0.0.1:2113", "esdbs://x", "postgres://localhost/x"} {
		if err := checkEventStoreURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for _, u := range []string{"", "esdb://127.0.0.1:2113?tls=false", "esdb+discover://cluster.example:2113"} {
		if err := checkEventStoreURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	cfg := ConfigFromEnv()
	cfg.DataDir = t.TempDir()
	cfg.EventStoreURL = "kurrentdb://127.0.0.1:2113"
	cfg.DatabaseURL = pgtest.New(t).Config().ConnString()
	if svc, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		svc.Close()
		t.Fatal("Open accepted kurrentdb://")
	}
}
