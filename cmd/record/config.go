package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hbte/record/httpapi"
)

// Config comes from the environment; every value has a working default.
type Config struct {
	DatabaseURL   string // DATABASE_URL
	EventStoreURL string // EVENTSTORE_URL: esdb://... selects EventStoreDB; empty: PostgreSQL
	HTTPAddr      string // HTTP_ADDR
	LogLevel      string // LOG_LEVEL
	BcryptCost    int    // BCRYPT_COST
	FontPath      string // CERT_FONT: TrueType CJK font for certificates
	PublicURL     string // PUBLIC_URL: base of links printed on certificates
	DataDir       string // DATA_DIR: uploaded files (by content hash) and signing keys
	// TrustedProxies (TRUSTED_PROXIES): CIDRs of reverse proxies whose
	// X-Forwarded-For is believed; empty: none, the peer is the client.
	TrustedProxies string
	// ReadyMaxStall (READY_MAX_STALL, e.g. "30s"): /readyz fails while the
	// projections have been held back longer than this.
	ReadyMaxStall time.Duration
	// DigestInterval (INTEGRITY_DIGEST_INTERVAL, e.g. "1h"; "0" turns it
	// off): how often serve signs a digest of the Merkle tree when it grew.
	DigestInterval time.Duration
	// AdminAddr (ADMIN_ADDR, e.g. "127.0.0.1:9090"; empty: off): a second
	// listener with /metrics and pprof, for operators only.
	AdminAddr string
	// MetricsPublic (METRICS_PUBLIC=true) serves /metrics on HTTP_ADDR too.
	MetricsPublic bool
	// Limits bound the requests answered at once per class
	// (LIMIT_QUERIES, LIMIT_COMMANDS, LIMIT_DOWNLOADS, LIMIT_WAIT).
	Limits httpapi.Limits
}

func ConfigFromEnv() Config {
	get := func(k, def string) string {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
		return def
	}
	cost, _ := strconv.Atoi(get("BCRYPT_COST", "10"))
	stall, err := time.ParseDuration(get("READY_MAX_STALL", "30s"))
	if err != nil || stall <= 0 {
		stall = 30 * time.Second
	}
	digests, err := time.ParseDuration(get("INTEGRITY_DIGEST_INTERVAL", "1h"))
	if err != nil || digests < 0 {
		digests = time.Hour
	}
	return Config{
		DigestInterval: digests,
		DatabaseURL:    get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/record?sslmode=disable"),
		EventStoreURL:  get("EVENTSTORE_URL", ""),
		HTTPAddr:       get("HTTP_ADDR", ":8080"),
		LogLevel:       get("LOG_LEVEL", "info"),
		BcryptCost:     cost,
		FontPath:       get("CERT_FONT", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
		PublicURL:      get("PUBLIC_URL", "http://localhost:8080"),
		DataDir:        get("DATA_DIR", ".data"),
		TrustedProxies: get("TRUSTED_PROXIES", ""),
		ReadyMaxStall:  stall,
		AdminAddr:      get("ADMIN_ADDR", ""),
		MetricsPublic:  get("METRICS_PUBLIC", "") == "true",
		Limits:         limitsFromEnv(),
	}
}

// ensureDatabase creates the database named in dsn if it is missing.
func ensureDatabase(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return fmt.Errorf("DATABASE_URL names no database")
	}
	admin := *u
	admin.Path = "/postgres"
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		return fmt.Errorf("connect to create database: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}
