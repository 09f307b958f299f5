package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/eventstore/esdb"
	"github.com/hbte/record/eventstore/esdb/esdbfake"
	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

// backends are the event stores the end-to-end tests run on: PostgreSQL
// and EventStoreDB (the fake, over TLS with credentials, as production
// connects).
var backends = []string{"postgres", "esdb"}

// forBackends runs story once per backend, as parallel subtests named after
// the backend: every end-to-end story runs on both stores in make test.
func forBackends(t *testing.T, story func(t *testing.T, backend string)) {
	t.Helper()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			story(t, backend)
		})
	}
}

// eventCount is how many events the store holds, on any backend. On
// PostgreSQL it counts rows rather than reading the feed, which shows an
// event only once every older transaction on the server has ended.
func (a *app) eventCount() int {
	a.t.Helper()
	n := 0
	if a.backend == "postgres" {
		if err := a.svc.Pool.QueryRow(context.Background(), `SELECT count(*) FROM es_events`).Scan(&n); err != nil {
			a.t.Fatal(err)
		}
		return n
	}
	from := eventstore.Start
	for {
		batch, err := a.svc.Store.ReadAll(context.Background(), from, 1000)
		if err != nil {
			a.t.Fatalf("read all: %v", err)
		}
		n += len(batch)
		if len(batch) == 0 {
			return n
		}
		from = batch[len(batch)-1].Position
	}
}

// lastEventPosition is the position of the newest event (the start when
// there is none), on any backend. On PostgreSQL it is the newest committed
// row: the feed itself may still hold it back while older transactions on
// the server are open.
func (a *app) lastEventPosition() eventstore.Position {
	a.t.Helper()
	last := eventstore.Start
	if a.backend == "postgres" {
		err := a.svc.Pool.QueryRow(context.Background(),
			`SELECT xid, seq FROM es_events ORDER BY xid DESC, seq DESC LIMIT 1`).Scan(&last.Commit, &last.Prepare)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			a.t.Fatal(err)
		}
		return last
	}
	for {
		batch, err := a.svc.Store.ReadAll(context.Background(), last, 1000)
		if err != nil {
			a.t.Fatalf("read all: %v", err)
		}
		if len(batch) == 0 {
			return last
		}
		last = batch[len(batch)-1].Position
	}
}

// app is the whole service on a fresh database, served by httptest.
type app struct {
	t       *testing.T
	backend string
	svc     *Service
	srv     *httptest.Server
	// fake is the EventStoreDB node of an "esdb" app.
	fake *esdbfake.Server
	// stopRunner stops the projection runner (before a rebuild by another
	// process, as an operator would).
	stopRunner func()
	// last is the position of the newest command any client ran; queries
	// wait for it, so a user sees what another just did (read-your-writes).
	last string
}

func startApp(t *testing.T, backend string) *app {
	t.Helper()
	pool := pgtest.New(t)
	var store eventstore.Store
	var fake *esdbfake.Server
	switch backend {
	case "postgres":
		store = postgres.New(pool)
	case "esdb":
		fake = esdbfake.Start(t)
		s, err := esdb.New(context.Background(), fake.ConnString())
		if err != nil {
			t.Fatalf("esdb: %v", err)
		}
		store = s
	default:
		t.Fatalf("unknown backend %s", backend)
	}
	cfg := ConfigFromEnv()
	cfg.BcryptCost = 4
	cfg.DataDir = t.TempDir() // signing keys are created there at first use
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("E2E_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	svc := Wire(cfg, log, pool, store, time.Now)
	// Tests of other packages share this PostgreSQL server, and its feed
	// waits for the oldest open transaction cluster-wide: allow for that.
	svc.HTTP.MaxWait = 30 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Runner.Run(ctx) }()
	srv := httptest.NewServer(svc.Handler)
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("projection runner: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("projection runner did not stop")
			}
		})
	}
	t.Cleanup(func() {
		srv.Close()
		svc.Runner.StopRebuilds() // those started through the ops API
		stop()
		store.Close()
	})
	return &app{t: t, backend: backend, svc: svc, srv: srv, stopRunner: stop, fake: fake}
}

// client is one logged-in user.
type client struct {
	a     *app
	token string
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func (r resp) errCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

func (c *client) do(method, path string, body any, headers ...string) resp {
	c.a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.a.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.a.srv.URL+path, rd)
	if err != nil {
		c.a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if method == http.MethodGet && c.a.last != "" {
		req.Header.Set("X-Consistent-After", c.a.last)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if p := res.Header.Get("X-Event-Position"); p != "" {
		c.a.last = p
	}
	return resp{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// must fails the test unless the status is want.
func (c *client) must(want int, method, path string, body any, headers ...string) resp {
	c.a.t.Helper()
	r := c.do(method, path, body, headers...)
	if r.Status != want {
		c.a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

func (a *app) anon() *client { return &client{a: a} }

// login logs in; when the password must change first, it changes it to
// newPassword (if given) and logs in again.
func (a *app) login(login, password, newPassword string) *client {
	a.t.Helper()
	c := a.anon()
	r := c.must(http.StatusCreated, "POST", "/api/v1/sessions", map[string]string{"login": login, "password": password})
	var lr struct {
		Token              string `json:"token"`
		MustChangePassword bool   `json:"must_change_password"`
	}
	r.json(a.t, &lr)
	c.token = lr.Token
	if lr.MustChangePassword && newPassword != "" {
		c.must(http.StatusOK, "PUT", "/api/v1/me/password", map[string]string{"old_password": password, "new_password": newPassword})
	}
	return c
}
