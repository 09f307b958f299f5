# Two commands for a new user: `make run` and `make test`.
PGHOST ?= 127.0.0.1
PGPORT ?= 5432
export PGHOST PGPORT
DATABASE_URL ?= postgres://postgres@$(PGHOST):$(PGPORT)/record?sslmode=disable
TEST_DATABASE_URL ?= postgres://postgres@$(PGHOST):$(PGPORT)/postgres?sslmode=disable
export TEST_DATABASE_URL
GO ?= go

.PHONY: run test deps bench bench-eventstore vet fmt

deps:
	./scripts/ensure-tools.sh
	./scripts/ensure-postgres.sh

## run: the service on :8080 with PostgreSQL, migrations applied and demo data loaded
run: deps
	DATABASE_URL="$(DATABASE_URL)" $(GO) run ./cmd/record serve --create-db --demo

## test: every test, with the race detector, against a real PostgreSQL
test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 12m ./...

## bench: long benchmarks (not part of make test)
bench: deps bench-eventstore

bench-eventstore:
	$(GO) test -run '^$$' -bench . -benchtime 3s -timeout 30m ./eventstore/postgres/

fmt:
	gofmt -w $$(git ls-files '*.go')
