package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/integrity"
	"github.com/hbte/record/httpapi"
	"github.com/hbte/record/ledger"
	"github.com/hbte/record/projections"
)

// Integrity (docs/INTEGRITY.md): the Merkle projection, the digest issuer,
// the auditors' endpoints and `record verify`.

func integrityEvents(r *event.Registry) { integrity.RegisterEvents(r) }

func integrityProjections(s *Service) []projections.Projection {
	return []projections.Projection{&projections.MerkleProjection{Store: s.Store}}
}

// ledger returns the service's digest issuer, built at first use; its key
// set is read from DATA_DIR only when a digest is signed or checked.
func (s *Service) ledger() *ledger.Issuer {
	s.ledgerOnce.Do(func() {
		s.issuer = &ledger.Issuer{Store: s.Store, Merkle: projections.MerkleQueries{DB: s.Pool},
			Keys: &ledger.KeyRing{Dir: s.Cfg.DataDir}, Now: s.Now, Log: s.Log}
	})
	return s.issuer
}

func integrityAreas(s *Service) []httpapi.Area {
	iss := s.ledger()
	return []httpapi.Area{&httpapi.IntegrityArea{Store: s.Store, Merkle: iss.Merkle, Keys: iss.Keys, Issuer: iss, Cmd: s.Handlers}}
}

// runDigests signs a digest at the configured interval until ctx ends.
func (s *Service) runDigests(ctx context.Context) {
	s.ledger().Run(ctx, s.Cfg.DigestInterval)
}

// Verify is `record verify`: it brings the Merkle tree up to date, signs a
// digest if asked, re-reads the whole store and checks every chain and the
// tree against the signed digests (and those in the files given, as
// exported from GET /api/v1/audit/digests), prints the report as JSON and
// fails when anything is wrong.
func (s *Service) Verify(ctx context.Context, sign bool, digestFiles []string, out io.Writer) error {
	if err := s.catchUpMerkle(ctx); err != nil {
		return err
	}
	if sign {
		if _, err := s.ledger().Issue(ctx); err != nil && !errors.Is(err, ledger.ErrEmptyTree) {
			return err
		}
	}
	keys, err := s.ledger().Keys.Get()
	if err != nil {
		return err
	}
	v := &ledger.Verifier{Store: s.Store, Merkle: &s.ledger().Merkle, Keys: keys.Public()}
	for _, f := range digestFiles {
		ds, err := readDigestFile(f)
		if err != nil {
			return err
		}
		v.External = append(v.External, ds...)
	}
	rep, err := v.Verify(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		return err
	}
	if !rep.OK {
		return fmt.Errorf("verification failed: %s", rep.First)
	}
	return nil
}

// RotateIntegrityKey makes a new digest signing key in DATA_DIR; the old
// public keys stay in the file so older digests still verify.
func (s *Service) RotateIntegrityKey(out io.Writer) error {
	k, err := ledger.RotateKeys(s.Cfg.DataDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "integrity signing key rotated: current key id %s (%d previous kept); restart running instances\n", k.Set.Current.ID, len(k.Set.Previous))
	return nil
}

// catchUpMerkle runs the Merkle projection alone until it has caught up
// with the feed (a serving instance may run it at the same time: the
// projection's checkpoint lock keeps them apart).
func (s *Service) catchUpMerkle(ctx context.Context) error {
	r := projections.NewRunner(s.Store, s.Registry, s.Pool, s.Log, &projections.MerkleProjection{Store: s.Store})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	defer func() { stop(); <-done }()
	for {
		st, err := r.Status(ctx)
		if err != nil {
			return err
		}
		if len(st) == 1 && st[0].Live {
			return nil
		}
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("merkle projection: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// readDigestFile reads digests as GET /api/v1/audit/digests returns them
// ({"items": [...]}), or a JSON array of them.
func readDigestFile(path string) ([]*integrity.DigestSigned, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("digests: %w", err)
	}
	var list struct {
		Items []*integrity.DigestSigned `json:"items"`
	}
	if strings.HasPrefix(strings.TrimSpace(string(b)), "[") {
		err = json.Unmarshal(b, &list.Items)
	} else {
		err = json.Unmarshal(b, &list)
	}
	if err != nil {
		return nil, fmt.Errorf("digests %s: %w", path, err)
	}
	return list.Items, nil
}
