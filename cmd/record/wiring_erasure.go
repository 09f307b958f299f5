package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/shred"
)

// Crypto-shredding (docs/INTEGRITY.md section 6): the personal fields of
// teachers' and accounts' events are sealed with their subject's data key,
// wrapped by the master key in DATA_DIR. Without DATA_DIR nothing is sealed.

// wirePersonalData makes the codec and hands it to the repository.
func (s *Service) wirePersonalData(pool *pgxpool.Pool) {
	if s.Cfg.DataDir == "" {
		return
	}
	s.Personal = &shred.Codec{Keys: shred.NewKeys(pool, s.Cfg.DataDir, s.Now)}
	s.Repo.Personal = s.Personal
}

// personalOpener is what the projection runner opens events with (a nil
// interface without a codec).
func (s *Service) personalOpener() interface {
	Open(ctx context.Context, typ string, data []byte) ([]byte, error)
} {
	if s.Personal == nil {
		return nil
	}
	return s.Personal
}

// erasureProjections is the process that follows a teacher's erasure.
func erasureProjections(s *Service) []projections.Projection {
	var keys commands.KeyDestroyer
	if s.Personal != nil {
		keys = s.Personal.Keys
	}
	return []projections.Projection{commands.NewErasureProcess(s.Handlers, keys)}
}

// RotatePersonalKey moves every data key to a new master key in DATA_DIR
// (shred.Keys.Rotate: the old key stays in the file until every data key
// is rewrapped; an interrupted run is finished by the next).
func (s *Service) RotatePersonalKey(ctx context.Context, out io.Writer) error {
	if s.Personal == nil {
		return errors.New("rotate-personal-key: no DATA_DIR, nothing is sealed")
	}
	r, err := s.Personal.Keys.Rotate(ctx, shred.RotateOptions{Progress: func(n int) {
		if n%100_000 < shred.RotateBatch {
			fmt.Fprintf(out, "%d data keys rewrapped\n", n)
		}
	}})
	if err != nil {
		return err
	}
	how := "rotated"
	if r.Resumed {
		how = "rotation resumed and finished"
	}
	fmt.Fprintf(out, "personal data master key %s: current key id %s, %d data keys rewrapped, retired key ids %v removed from %s; restart running instances so none keeps a retired key in memory\n",
		how, r.KeyID, r.Rewrapped, r.Dropped, shred.MasterKeyFile)
	return nil
}
