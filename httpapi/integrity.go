package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/integrity"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/ledger"
	"github.com/hbte/record/projections"
)

// IntegrityArea lets auditors check the record without trusting its
// operators (docs/INTEGRITY.md): the verification of the whole store,
// the signed digests (listed for export, issued on demand), consistency
// proofs between digests, a teacher's history with inclusion proofs, and
// the public keys that verify digests.
type IntegrityArea struct {
	Store  eventstore.Store
	Merkle projections.MerkleQueries
	Keys   *ledger.KeyRing
	Issuer *ledger.Issuer
	Cmd    interface {
		CanReadTeacher(ctx context.Context, actor access.Actor, teacherID uuid.UUID) (string, error)
	}
}

func (a *IntegrityArea) Routes(s *Server, r chi.Router) {
	r.Get("/audit/integrity", s.H(a.verify))
	r.Get("/audit/digests", s.H(a.digests))
	r.Post("/audit/digests", s.H(a.issue))
	r.Get("/audit/digests/consistency", s.H(a.consistency))
	r.Get("/teachers/{id}/history/proof", s.H(a.proof(s)))
}

// PublicRoutes publishes the digest verification keys.
func (a *IntegrityArea) PublicRoutes(s *Server, r chi.Router) {
	r.Get("/public/integrity/keys", s.H(a.keys))
}

func auditOnly(actor access.Actor) error {
	if actor.Role != access.RoleAuditor && actor.Role != access.RoleProvinceAdmin {
		return fmt.Errorf("%w: integrity checks are for auditors and province admins", access.ErrForbidden)
	}
	return nil
}

func (a *IntegrityArea) verify(w http.ResponseWriter, r *http.Request) error {
	if err := auditOnly(ActorOf(r)); err != nil {
		return err
	}
	keys, err := a.Keys.Get()
	if err != nil {
		return err
	}
	v := &ledger.Verifier{Store: a.Store, Merkle: &a.Merkle, Keys: keys.Public()}
	rep, err := v.Verify(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// DigestView is a signed digest as the API shows it: the stored event's
// fields, its number (revision in the digest stream) and position.
type DigestView struct {
	Number   uint64 `json:"number"`
	Position string `json:"position"`
	*integrity.DigestSigned
}

func digestView(d ledger.Issued) DigestView {
	return DigestView{Number: d.Revision, Position: d.Position.String(), DigestSigned: d.Digest}
}

func (a *IntegrityArea) digests(w http.ResponseWriter, r *http.Request) error {
	if err := auditOnly(ActorOf(r)); err != nil {
		return err
	}
	ds, err := ledger.Digests(r.Context(), a.Store)
	if err != nil {
		return err
	}
	items := make([]DigestView, len(ds))
	for i, d := range ds {
		items[i] = digestView(d)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (a *IntegrityArea) issue(w http.ResponseWriter, r *http.Request) error {
	if err := auditOnly(ActorOf(r)); err != nil {
		return err
	}
	d, err := a.Issuer.Issue(r.Context())
	if errors.Is(err, ledger.ErrEmptyTree) {
		return domain.Refusal("empty tree: no digest to issue", "记录尚无事件，无法签发摘要")
	}
	if err != nil {
		return err
	}
	status := http.StatusOK
	if d.New {
		status = http.StatusCreated
		w.Header().Set("X-Event-Position", d.Position.String())
	}
	writeJSON(w, status, digestView(d))
	return nil
}

func digestNumber(r *http.Request, name string) (uint64, error) {
	v := r.URL.Query().Get(name)
	n, err := strconv.ParseUint(v, 10, 63)
	if err != nil {
		return 0, domain.Invalid(name, "应为摘要编号（非负整数）")
	}
	return n, nil
}

func (a *IntegrityArea) consistency(w http.ResponseWriter, r *http.Request) error {
	if err := auditOnly(ActorOf(r)); err != nil {
		return err
	}
	from, err := digestNumber(r, "from")
	if err != nil {
		return err
	}
	to, err := digestNumber(r, "to")
	if err != nil {
		return err
	}
	if from >= to {
		return domain.Invalid("to", "应大于 from")
	}
	ds, err := ledger.Digests(r.Context(), a.Store)
	if err != nil {
		return err
	}
	if to >= uint64(len(ds)) {
		return fmt.Errorf("digest %d: %w", to, domain.ErrNotFound)
	}
	older, newer := ds[from], ds[to]
	if older.Digest.TreeSize > newer.Digest.TreeSize {
		return domain.Refusal(fmt.Sprintf("digest %d covers more events than digest %d", from, to),
			fmt.Sprintf("第 %d 份摘要覆盖的事件多于第 %d 份，请把较早的摘要放在前面", from, to))
	}
	proof, err := a.Merkle.ConsistencyProof(r.Context(), older.Digest.TreeSize, newer.Digest.TreeSize)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"from": digestView(older), "to": digestView(newer), "proof": hexes(proof),
	})
	return nil
}

func hexes(hs []integrity.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

// ProvedEvent is one stored event, byte for byte, with its leaf and the
// audit path from the leaf to the digest's root.
type ProvedEvent struct {
	Leaf       uint64   `json:"leaf_index"`
	ID         string   `json:"id"`
	Stream     string   `json:"stream"`
	Revision   uint64   `json:"revision"`
	Type       string   `json:"type"`
	Data       string   `json:"data_base64"`
	Metadata   string   `json:"metadata_base64"`
	RecordedAt string   `json:"recorded_at"`
	RecordedUS int64    `json:"recorded_at_us"`
	Position   string   `json:"position"`
	Proof      []string `json:"inclusion_proof"`
}

// HistoryProof is what GET /teachers/{id}/history/proof answers.
type HistoryProof struct {
	TeacherID uuid.UUID     `json:"teacher_id"`
	Digest    *DigestView   `json:"digest"`
	Events    []ProvedEvent `json:"events"`
	// Pending are the teacher's events the newest digest does not cover
	// yet (without proofs); POST /audit/digests signs a new one.
	Pending []ProvedEvent `json:"pending"`
}

// proof returns the teacher's events with an inclusion proof of each in the
// newest digest. The events are the stored bytes, personal data unmasked
// (that is what the hashes cover), so only the teacher, auditors and the
// roles that may reveal personal data get them, and every reading by
// someone else is written to the security audit.
func (a *IntegrityArea) proof(s *Server) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := PathID(r, "id")
		if err != nil {
			return err
		}
		actor := ActorOf(r)
		if _, err := a.Cmd.CanReadTeacher(r.Context(), actor, id); err != nil {
			return err
		}
		self := actor.Role == access.RoleTeacher && actor.TeacherID == id
		if !self && actor.Role != access.RoleAuditor && !commands.RevealsPersonalData(actor) {
			return fmt.Errorf("%w: the proof holds the events unmasked; this role may not reveal personal data", access.ErrForbidden)
		}
		stream := teacher.StreamName(id)
		recs, err := a.Store.ReadStream(r.Context(), stream, eventstore.ReadOptions{})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return fmt.Errorf("teacher %s: %w", id, domain.ErrNotFound)
		}
		if err != nil {
			return err
		}
		last, err := ledger.LastDigest(r.Context(), a.Store)
		if err != nil {
			return err
		}
		leaves, err := a.Merkle.LeavesOf(r.Context(), stream)
		if err != nil {
			return err
		}
		leafOf := map[uuid.UUID]uint64{}
		for _, l := range leaves {
			leafOf[l.EventID] = l.Index
		}
		out := HistoryProof{TeacherID: id, Events: []ProvedEvent{}, Pending: []ProvedEvent{}}
		if last != nil {
			v := digestView(last.Issued)
			out.Digest = &v
		}
		for _, rec := range recs {
			pe := ProvedEvent{ID: rec.ID.String(), Stream: rec.Stream, Revision: rec.Revision, Type: rec.Type,
				Data: base64.StdEncoding.EncodeToString(rec.Data), Metadata: base64.StdEncoding.EncodeToString(rec.Metadata),
				RecordedAt: rec.RecordedAt.UTC().Format(time.RFC3339Nano), RecordedUS: rec.RecordedAt.UnixMicro(),
				Position: rec.Position.String(), Proof: []string{}}
			leaf, ok := leafOf[rec.ID]
			if !ok || last == nil || leaf >= last.Digest.TreeSize {
				if ok {
					pe.Leaf = leaf
				}
				out.Pending = append(out.Pending, pe)
				continue
			}
			p, err := a.Merkle.InclusionProof(r.Context(), last.Digest.TreeSize, leaf)
			if err != nil {
				return err
			}
			pe.Leaf, pe.Proof = leaf, hexes(p)
			out.Events = append(out.Events, pe)
		}
		if !self {
			s.Audit(r, commands.ActionRevealPersonal, "teacher:"+id.String(), "integrity proof (events unmasked)")
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

type keyView struct {
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"` // standard base64 of the 32-byte Ed25519 key
	Current   bool   `json:"current"`
}

func (a *IntegrityArea) keys(w http.ResponseWriter, r *http.Request) error {
	keys, err := a.Keys.Get()
	if err != nil {
		return err
	}
	items := []keyView{{KeyID: keys.Set.Current.ID, PublicKey: base64.StdEncoding.EncodeToString(keys.Set.Current.Public), Current: true}}
	for _, k := range keys.Set.Previous {
		items = append(items, keyView{KeyID: k.ID, PublicKey: base64.StdEncoding.EncodeToString(k.Public)})
	}
	sort.SliceStable(items[1:], func(i, j int) bool { return items[1+i].KeyID < items[1+j].KeyID })
	writeJSON(w, http.StatusOK, map[string]any{"keys": items})
	return nil
}
