package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/hbte/record/httpapi"
)

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		args = []string{"serve"}
	}
	cfg := ConfigFromEnv()
	if args[0] == "seed" { // flags of its own: seed.go
		return seedCmd(ctx, cfg, newLogger(cfg.LogLevel), args[1:], out)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(out)
	createDB := fs.Bool("create-db", false, "create the database if it does not exist")
	demo := fs.Bool("demo", false, "serve: load demo data when the store is empty")
	login := fs.String("login", "", "create-admin: login name")
	name := fs.String("name", "", "create-admin: display name")
	password := fs.String("password", "", "create-admin: initial password (generated when empty)")
	copyFrom := fs.String("from", cfg.DatabaseURL, "copy-events: the PostgreSQL event store to copy")
	copyTo := fs.String("to", "", "copy-events: the EventStoreDB to copy to (esdb://…)")
	noRebuild := fs.Bool("no-rebuild", false, "copy-events: copy and verify only")
	projection := fs.String("projection", "", "rebuild: the projections to rebuild, comma-separated, from one read of the feed (all when empty)")
	cpuProfile := fs.String("cpuprofile", "", "rebuild: write a CPU profile (pprof) of the rebuild to this file")
	sign := fs.Bool("sign", false, "verify: sign a digest of the tree first")
	digestFiles := fs.String("digests", "", "verify: comma-separated files of exported digests to check as well")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	if args[0] == "copy-events" {
		return copyEventsCmd(ctx, cfg, log, *copyFrom, *copyTo, !*noRebuild, out)
	}
	if *createDB {
		if err := ensureDatabase(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
	}
	svc, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer svc.Close()

	switch args[0] {
	case "serve":
		if *demo {
			if err := svc.LoadDemo(ctx, out); err != nil {
				return fmt.Errorf("demo data: %w", err)
			}
		}
		return svc.Serve(ctx)
	case "migrate":
		fmt.Fprintln(out, "migrations applied")
		return nil
	case "create-admin":
		if *login == "" || *name == "" {
			return errors.New("create-admin needs --login and --name")
		}
		pw, err := svc.CreateProvinceAdmin(ctx, *login, *name, *password)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "province admin %q created; initial password: %s (must be changed at first login)\n", *login, pw)
		return nil
	case "demo":
		return svc.LoadDemo(ctx, out)
	case "rebuild":
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
		return svc.Rebuild(ctx, *projection, out)
	case "verify":
		var files []string
		if *digestFiles != "" {
			files = strings.Split(*digestFiles, ",")
		}
		return svc.Verify(ctx, *sign, files, out)
	case "rotate-integrity-key":
		return svc.RotateIntegrityKey(out)
	case "rotate-personal-key":
		return svc.RotatePersonalKey(ctx, out)
	}
	return fmt.Errorf("unknown command %q (serve, migrate, create-admin, demo, rebuild, verify, rotate-integrity-key, rotate-personal-key)", args[0])
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	// Every line logged with a request's context carries its request_id.
	return slog.New(httpapi.LogHandler{Handler: slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})})
}

// startCPUProfile writes a CPU profile to path until stop is called; an
// empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
