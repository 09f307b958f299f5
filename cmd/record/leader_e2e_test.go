package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/eventstore/postgres"
	"github.com/hbte/record/migrations/pgtest"
)

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTwoInstancesOneLeaderAndTakeover builds the binary and starts two
// `record serve` processes on free ports against one database: one
// applies the projections, the other stands by; both answer HTTP; a
// `record rebuild` runs beside the leader; after a kill -9 of the
// leader the other takes over within seconds and applies what is written
// next.
func TestTwoInstancesOneLeaderAndTakeover(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	pool, dsn := pgtest.NewWithURL(t)
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "record")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	type instance struct {
		name string
		cmd  *exec.Cmd
		addr string
		log  *lockedBuffer
		done chan error
	}
	start := func(name string) *instance {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		in := &instance{name: name, addr: addr, log: &lockedBuffer{}, done: make(chan error, 1)}
		in.cmd = exec.Command(bin, "serve")
		in.cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn, "HTTP_ADDR="+addr, "DATA_DIR="+filepath.Join(dir, "shared"),
			"LOG_LEVEL=info", "BCRYPT_COST=4", "ADMIN_ADDR=")
		in.cmd.Stdout, in.cmd.Stderr = in.log, in.log
		if err := in.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { in.done <- in.cmd.Wait() }()
		t.Cleanup(func() {
			_ = in.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-in.done:
			case <-time.After(20 * time.Second):
				_ = in.cmd.Process.Kill()
			}
			if t.Failed() {
				t.Logf("%s log:\n%s", name, in.log.String())
			}
		})
		return in
	}
	eventually := func(what string, within time.Duration, ok func() bool) time.Duration {
		t.Helper()
		begin := time.Now()
		for time.Since(begin) < within {
			if ok() {
				return time.Since(begin)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%s: not within %v", what, within)
		return 0
	}
	healthy := func(in *instance) bool {
		res, err := http.Get("http://" + in.addr + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
	leading := func(in *instance) bool { return strings.Contains(in.log.String(), "projections: leading") }

	a := start("a")
	eventually("a leads", 60*time.Second, func() bool { return healthy(a) && leading(a) })
	b := start("b")
	eventually("b answers and stands by", 60*time.Second, func() bool {
		return healthy(b) && strings.Contains(b.log.String(), "projections: standing by")
	})
	time.Sleep(2 * time.Second) // b keeps trying meanwhile
	if leading(b) {
		t.Fatal("b leads beside a")
	}

	// Writes are applied by the leader whichever process made them.
	// Every instance shares DATA_DIR (the signing and master keys), as
	// DEPLOYMENT.md asks; so does this writer.
	wcfg := ConfigFromEnv()
	wcfg.DataDir = filepath.Join(dir, "shared")
	svc := Wire(wcfg, slog.New(slog.NewTextHandler(io.Discard, nil)), pool, postgres.New(pool), time.Now)
	write := func(login string) {
		t.Helper()
		if _, err := svc.CreateProvinceAdmin(ctx, login, "管理员", ""); err != nil {
			t.Fatal(err)
		}
	}
	write("leader_a_1")
	eventually("a applies the write", 30*time.Second, func() bool { return caughtUp(t, pool) })

	// A rebuild runs beside the leader (blue/green: shadow tables swapped
	// in under the live checkpoints' row locks), and the leader goes on.
	rebuild := exec.Command(bin, "rebuild")
	rebuild.Env = append(os.Environ(), "DATABASE_URL="+dsn, "DATA_DIR="+filepath.Join(dir, "shared"), "LOG_LEVEL=error")
	out, err := rebuild.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "all projections rebuilt") {
		t.Fatalf("rebuild beside a leader: %v\n%s", err, out)
	}
	write("leader_a_2")
	eventually("a applies a write after the rebuild", 30*time.Second, func() bool { return caughtUp(t, pool) })

	// The leader dies without a word; b takes over.
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-a.done
	took := eventually("b takes over", 15*time.Second, func() bool { return leading(b) })
	t.Logf("b took over %v after the leader was killed", took)
	write("leader_b_1")
	eventually("b applies the next write", 30*time.Second, func() bool { return caughtUp(t, pool) })
	if !healthy(b) {
		t.Fatal("b does not answer")
	}
}

// caughtUp reports whether every projection's checkpoint has reached the
// last stored event.
func caughtUp(t *testing.T, pool *pgxpool.Pool) bool {
	t.Helper()
	var behind int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM projection_checkpoints c,
		(SELECT xid, seq FROM es_events ORDER BY xid DESC, seq DESC LIMIT 1) h
		WHERE (c.commit_position, c.prepare_position) < (h.xid, h.seq)`).Scan(&behind); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM projection_checkpoints`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0 && behind == 0
}
