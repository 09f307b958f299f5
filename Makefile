# Two commands for a new user: `make run` and `make test`.
PGHOST ?= 127.0.0.1
PGPORT ?= 5432
export PGHOST PGPORT
DATABASE_URL ?= postgres://postgres@$(PGHOST):$(PGPORT)/record?sslmode=disable
TEST_DATABASE_URL ?= postgres://postgres@$(PGHOST):$(PGPORT)/postgres?sslmode=disable
export TEST_DATABASE_URL
GO ?= go

.PHONY: run test deps bench bench-eventstore bench-projections bench-verify bench-scale test-esdb-real fmt fuzz fuzz-short screenshots soak

# Fuzz targets (package:Target). Their seed corpora run in every go test;
# fuzz-short fuzzes each briefly in make test, fuzz for longer.
FUZZ_TARGETS = ./domain/text:FuzzClean ./domain/ident:FuzzParseResidentID ./domain/ident:FuzzParseCertificateNumber \
	./domain/ident:FuzzNormalizeMobile ./httpapi/tabular:FuzzReadCSV ./httpapi/tabular:FuzzReadXLSX ./httpapi:FuzzDecodeCommands
FUZZTIME ?= 3s

deps:
	./scripts/ensure-tools.sh
	./scripts/ensure-postgres.sh

## run: the service on :8080 with PostgreSQL, migrations applied and demo data loaded
run: deps
	DATABASE_URL="$(DATABASE_URL)" $(GO) run ./cmd/record serve --create-db --demo

## test: every test, with the race detector, against a real PostgreSQL
test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...
	STORY_BACKEND=esdb $(GO) test -race -count=1 -timeout 20m -run '^TestBrowser(TeacherStory|CountyStory)$$' ./cmd/record/
	$(MAKE) --no-print-directory fuzz-short

fuzz-short:
	@GO="$(GO)" FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh $(FUZZ_TARGETS)

## fuzz: each fuzz target for 2 minutes
fuzz:
	$(MAKE) --no-print-directory fuzz-short FUZZTIME=2m

## screenshots: the browser stories write docs/screenshots/*.png
screenshots: deps
	SCREENSHOTS=1 $(GO) test -count=1 -run 'TestBrowser' ./cmd/record/

## bench: long benchmarks (not part of make test)
bench: deps bench-eventstore bench-projections bench-verify

bench-eventstore:
	$(GO) test -run '^$$' -bench . -benchtime 3s -timeout 30m ./eventstore/postgres/

bench-projections:
	$(GO) test -run '^$$' -bench . -benchtime 3000x -timeout 30m ./projections/

## bench-scale: county roster (16 readers, old query as baseline), registration batch check
## (baseline: one by one) and the personal space (16 teachers reading, GET /api/v1/me as baseline)
## on a database built by `record seed` and `record rebuild` (SCALE_DATABASE_URL=postgres://…,
## DATA_DIR the seed's); figures in BENCHMARKS.md
bench-scale:
	PS_BENCH_DATABASE_URL=$(SCALE_DATABASE_URL) $(GO) test -run '^$$' -bench PersonalSpaceAtScale -benchtime 1x -timeout 30m ./cmd/record/
	ROSTER_BENCH_DATABASE_URL=$(SCALE_DATABASE_URL) $(GO) test -run '^$$' -bench RosterAtScale -benchtime 1x -timeout 60m ./projections/
	BATCH_BENCH_DATABASE_URL=$(SCALE_DATABASE_URL) BATCH_BENCH_JURISDICTION=13 $(GO) test -run '^$$' -bench RegistrationBatchCheck -benchtime 1x -timeout 60m ./cmd/record/

## bench-verify: record verify's work over a bulk-loaded store of 1,000,000 chained events
bench-verify:
	LEDGER_BENCH_EVENTS=1000000 $(GO) test -run '^$$' -bench Verify -benchtime 1x -count 2 -timeout 60m ./ledger/

## soak: the fault suite (not part of make test): the service binary under concurrent registrations
## with idempotency keys and client timeouts, SIGKILLed and restarted, a poison event, a long
## transaction; checks nothing acknowledged is lost or applied twice, no stuck key, no teacher
## without a login, read models equal to a rebuild (docs/RELIABILITY.md). SOAK_SECONDS, SOAK_KILLS,
## SOAK_WORKERS, SOAK_MAX bound it.
soak: deps
	$(GO) test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 20m ./cmd/record/

## test-esdb-real: the event-store contract suite against a real EventStoreDB at $$EVENTSTORE_URL
test-esdb-real:
	@test -n "$$EVENTSTORE_URL" || { echo "set EVENTSTORE_URL=esdb://host:2113?tls=false"; exit 1; }
	$(GO) test -race -count=1 -run 'TestContract/esdb-real' -v ./eventstore/esdb/

fmt:
	gofmt -w $$(git ls-files '*.go')
