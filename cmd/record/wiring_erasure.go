package main

import (
	"context"

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
