package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// LeaderLockKey is the PostgreSQL advisory lock (one bigint key) that
// whoever applies the projections holds: a serving instance while it runs
// them, `record rebuild` while it rebuilds. One database, one holder.
const LeaderLockKey int64 = 0x7265636f72640001 // "record" 0001

// ErrLeaderElsewhere is returned by WithLeadership while another process
// holds the projections.
var ErrLeaderElsewhere = errors.New("the projections are applied by another process")

// LeaderConfig configures RunAsLeader and WithLeadership.
type LeaderConfig struct {
	// Pool's connection settings open the lock's own connection (not one
	// of the pool's: the lock lives as long as that session).
	Pool *pgxpool.Pool
	// Interval is how often a standby tries to take the lock and the
	// holder checks that its session is alive (default 1s). A holder
	// that dies releases the lock when its connection closes (at once
	// for a killed process; for a vanished host, when the server's TCP
	// keepalive gives up, about 15 s, set on the session). A standby
	// takes the lock within about Interval of that, then waits
	// 3*Interval+1s (the old holder's check of its session: a tick and a
	// ping's timeout) before it runs, so the two never run at once.
	Interval time.Duration
	// Role names the holder in pg_stat_activity (application_name),
	// with the process id: "record projections (pid 1234)".
	Role   string
	Logger *slog.Logger
}

func (c LeaderConfig) withDefaults() LeaderConfig {
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.Role == "" {
		c.Role = "record projections"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// lockSession opens the connection that takes the lock.
func (c LeaderConfig) lockSession(ctx context.Context) (*pgx.Conn, error) {
	cc := c.Pool.Config().ConnConfig.Copy()
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	cc.RuntimeParams["application_name"] = fmt.Sprintf("%s (pid %d)", c.Role, os.Getpid())
	// The server notices a holder whose host has gone in about 5+2*5 s.
	cc.RuntimeParams["tcp_keepalives_idle"] = "5"
	cc.RuntimeParams["tcp_keepalives_interval"] = "2"
	cc.RuntimeParams["tcp_keepalives_count"] = "5"
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("leadership: connect: %w", err)
	}
	return conn, nil
}

func tryLock(ctx context.Context, conn *pgx.Conn) (bool, error) {
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, LeaderLockKey).Scan(&ok); err != nil {
		return false, fmt.Errorf("leadership: %w", err)
	}
	return ok, nil
}

// RunAsLeader runs run while this process holds the projections'
// leadership, and waits as a standby while another does: any number of
// instances may call it against one database, and run runs in one of them
// at a time. When the lock's session is lost, run's context is cancelled
// and, once run has returned, the instance stands by again. It returns nil
// when ctx ends, or run's error when run stops on its own while leading.
func RunAsLeader(ctx context.Context, cfg LeaderConfig, run func(context.Context) error) error {
	cfg = cfg.withDefaults()
	standby := false
	for ctx.Err() == nil {
		conn, err := cfg.lockSession(ctx)
		if err != nil {
			cfg.Logger.WarnContext(ctx, "projections: cannot reach the database for leadership", "err", err)
			_ = sleep(ctx, cfg.Interval)
			continue
		}
		for ctx.Err() == nil {
			ok, err := tryLock(ctx, conn)
			if err != nil {
				break // a new session
			}
			if ok {
				if standby {
					// Another instance led until now. Its lock went with its
					// session, but it stops only when its next check of that
					// session fails (hold: a tick, then a ping of at most
					// 2*Interval+1s): wait that long before running beside it.
					if !sleep(ctx, 3*cfg.Interval+time.Second) {
						break
					}
				}
				cfg.Logger.InfoContext(ctx, "projections: leading", "pid", os.Getpid())
				standby = false
				lost, err := hold(ctx, cfg, conn, run)
				if !lost {
					closeQuietly(conn)
					if ctx.Err() != nil {
						return nil
					}
					return err
				}
				cfg.Logger.WarnContext(ctx, "projections: leadership lost; standing by", "err", err)
				break
			}
			if !standby {
				cfg.Logger.InfoContext(ctx, "projections: standing by (another instance leads)", "pid", os.Getpid())
				standby = true
			}
			_ = sleep(ctx, cfg.Interval)
		}
		closeQuietly(conn)
		_ = sleep(ctx, cfg.Interval)
	}
	return nil
}

// WithLeadership runs fn holding the projections' leadership, or returns
// ErrLeaderElsewhere (naming the holder) when another process holds it
// for longer than wait. A rebuild runs in it, so no instance applies the
// projections while it replays them.
func WithLeadership(ctx context.Context, cfg LeaderConfig, wait time.Duration, fn func(context.Context) error) error {
	cfg = cfg.withDefaults()
	conn, err := cfg.lockSession(ctx)
	if err != nil {
		return err
	}
	defer closeQuietly(conn)
	deadline := time.Now().Add(wait)
	for {
		ok, err := tryLock(ctx, conn)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w (%s): stop them first", ErrLeaderElsewhere, LeaderHolder(ctx, conn))
		}
		_ = sleep(ctx, cfg.Interval)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	lost, err := hold(ctx, cfg, conn, fn)
	if lost {
		return fmt.Errorf("leadership lost while running: %w", err)
	}
	return err
}

// hold runs fn while checking the lock's session every Interval. lost
// reports that the session failed (fn was cancelled and has returned).
func hold(ctx context.Context, cfg LeaderConfig, conn *pgx.Conn, fn func(context.Context) error) (lost bool, err error) {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn(fctx) }()
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return false, err
		case <-tick.C:
			pctx, pcancel := context.WithTimeout(ctx, 2*cfg.Interval+time.Second)
			perr := conn.Ping(pctx)
			pcancel()
			if perr != nil && ctx.Err() == nil {
				cancel()
				<-done
				return true, perr
			}
		}
	}
}

// LeaderHolder describes the session holding the projections' lock, for
// errors and operators: "pid 812 record projections (pid 4711) from
// 10.0.0.5 since 2026-11-30T10:00:00Z", or "nobody".
func LeaderHolder(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) string {
	var pid int
	var app, addr string
	var since time.Time
	err := q.QueryRow(ctx, `SELECT a.pid, a.application_name, coalesce(host(a.client_addr), 'local'), a.backend_start
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid AND l.objsubid = 1`, LeaderLockKey).
		Scan(&pid, &app, &addr, &since)
	if err != nil {
		return "nobody"
	}
	return fmt.Sprintf("pid %d %s from %s since %s", pid, app, addr, since.UTC().Format(time.RFC3339))
}

func closeQuietly(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}
