// Package migrations holds the PostgreSQL schema as numbered SQL files and
// applies them with goose. Number ranges by owner, so parallel work never
// collides: 0001-0009 event store, 0010-0019 projection infrastructure,
// 0020-0029 accounts and sessions, 0030-0049 teacher read models,
// 0050-0069 projects and enrollment, 0070-0089 credits and registration.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

//go:embed *.sql
var files embed.FS

// Up applies every pending migration. Safe to call from several processes:
// goose takes a session advisory lock.
func Up(ctx context.Context, pool *pgxpool.Pool) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	return up(ctx, db)
}

func up(ctx context.Context, db *sql.DB) error {
	provider, err := goose.NewProvider(goose.DialectPostgres, db, files,
		goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrations up: %w", err)
	}
	return nil
}

// Fingerprint identifies the set of migration files, so a test template
// database can be reused while the schema is unchanged.
func Fingerprint() (string, error) {
	entries, err := files.ReadDir(".")
	if err != nil {
		return "", err
	}
	h := newHash()
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			return "", err
		}
		h.add(e.Name(), b)
	}
	return h.sum(), nil
}
