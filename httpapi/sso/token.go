package sso

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"
)

// Claims are what a token asserts. Issue fills ID, Issuer, IssuedAt and
// Expiry; Verify returns them all.
type Claims struct {
	TeacherID    uuid.UUID // "sub"
	Name         string    // masked, e.g. "张*": the platform greets, it does not identify
	EnrollmentID uuid.UUID
	ProjectID    uuid.UUID
	ClassID      uuid.UUID
	Audience     string // the institution's id: "aud"

	ID       string // "jti", unique per token, for replay detection
	Issuer   string
	IssuedAt time.Time
	Expiry   time.Time
}

// private claims beside the registered ones.
type extra struct {
	Name         string    `json:"name"`
	EnrollmentID uuid.UUID `json:"enrollment_id"`
	ProjectID    uuid.UUID `json:"project_id"`
	ClassID      uuid.UUID `json:"class_id,omitzero"`
}

const (
	DefaultIssuer = "hbte-record"
	DefaultTTL    = 5 * time.Minute
	// MaxTTL bounds what a verifier accepts, whatever the issuer claims.
	MaxTTL = 10 * time.Minute
	// Leeway absorbs clock skew between the platform and an institution.
	Leeway = 30 * time.Second
)

// Issuer signs assertions with the current key.
type Issuer struct {
	keys   KeySet
	signer jose.Signer
	now    func() time.Time
	name   string
	ttl    time.Duration
	rand   io.Reader
	jwks   []byte
}

// Option configures an Issuer.
type Option func(*Issuer)

// WithIssuer sets the "iss" claim (default DefaultIssuer); institutions
// check it.
func WithIssuer(name string) Option { return func(i *Issuer) { i.name = name } }

// WithTTL sets the token lifetime (default 5 minutes, at most MaxTTL).
func WithTTL(d time.Duration) Option { return func(i *Issuer) { i.ttl = d } }

// WithRandom sets the source of token ids (default crypto/rand).
func WithRandom(r io.Reader) Option { return func(i *Issuer) { i.rand = r } }

// NewIssuer validates the keys and prepares the signer.
func NewIssuer(keys KeySet, now func() time.Time, opts ...Option) (*Issuer, error) {
	if err := keys.Validate(); err != nil {
		return nil, err
	}
	if now == nil {
		return nil, errors.New("sso: nil clock")
	}
	i := &Issuer{keys: keys, now: now, name: DefaultIssuer, ttl: DefaultTTL, rand: rand.Reader}
	for _, o := range opts {
		o(i)
	}
	if i.ttl <= 0 || i.ttl > MaxTTL {
		return nil, fmt.Errorf("sso: ttl %s outside (0, %s]", i.ttl, MaxTTL)
	}
	if i.name == "" {
		return nil, errors.New("sso: empty issuer name")
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: keys.Current.Private, KeyID: keys.Current.ID}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("sso: signer: %w", err)
	}
	i.signer = signer
	if i.jwks, err = json.Marshal(keys.jwks()); err != nil {
		return nil, fmt.Errorf("sso: jwks: %w", err)
	}
	return i, nil
}

// Issue signs c for c.Audience, valid from now for the issuer's TTL.
func (i *Issuer) Issue(c Claims) (string, error) {
	var missing []string
	if c.TeacherID == uuid.Nil {
		missing = append(missing, "teacher")
	}
	if c.EnrollmentID == uuid.Nil {
		missing = append(missing, "enrollment")
	}
	if c.ProjectID == uuid.Nil {
		missing = append(missing, "project")
	}
	if c.Audience == "" {
		missing = append(missing, "audience")
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("sso: missing %s", strings.Join(missing, ", "))
	}
	var id [16]byte
	if _, err := io.ReadFull(i.rand, id[:]); err != nil {
		return "", fmt.Errorf("sso: token id: %w", err)
	}
	now := i.now().UTC().Truncate(time.Second)
	std := jwt.Claims{
		Issuer:   i.name,
		Subject:  c.TeacherID.String(),
		Audience: jwt.Audience{c.Audience},
		ID:       base64.RawURLEncoding.EncodeToString(id[:]),
		IssuedAt: jwt.NewNumericDate(now),
		// nbf guards against a platform clock running ahead.
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(i.ttl)),
	}
	ex := extra{Name: c.Name, EnrollmentID: c.EnrollmentID, ProjectID: c.ProjectID, ClassID: c.ClassID}
	tok, err := jwt.Signed(i.signer).Claims(std).Claims(ex).Serialize()
	if err != nil {
		return "", fmt.Errorf("sso: sign: %w", err)
	}
	return tok, nil
}

// JWKS is the public key set to serve at /.well-known/jwks.json.
func (i *Issuer) JWKS() []byte { return append([]byte(nil), i.jwks...) }

// Verify checks a token this issuer signed (used in tests and by the
// platform itself); it keeps no replay cache.
func (i *Issuer) Verify(token, audience string, now time.Time) (Claims, error) {
	v := &Verifier{keys: i.keys.jwks(), issuer: i.name}
	return v.Verify(token, audience, now)
}

// Verification errors. Institutions should treat them all as "log in again".
var (
	ErrMalformed   = errors.New("sso: malformed token")
	ErrUnknownKey  = errors.New("sso: unknown key id")
	ErrSignature   = errors.New("sso: bad signature")
	ErrIssuer      = errors.New("sso: wrong issuer")
	ErrAudience    = errors.New("sso: wrong audience")
	ErrExpired     = errors.New("sso: expired")
	ErrNotYetValid = errors.New("sso: not yet valid")
	ErrLifetime    = errors.New("sso: lifetime too long")
	ErrReplay      = errors.New("sso: token already used")
)

// ReplayCache remembers token ids until they expire. Use reports whether
// jti is fresh and records it; a shared store (database, Redis SETNX with
// expiry) is needed when an institution runs several servers.
type ReplayCache interface {
	Use(jti string, expiry, now time.Time) bool
}

// Verifier is the reference verifier an institution can copy: it trusts
// the platform's JWKS and nothing in the token header but the key id.
type Verifier struct {
	keys   jose.JSONWebKeySet
	issuer string
	replay ReplayCache
}

// NewVerifier parses a JWKS document. replay may be nil to skip replay
// checks (tests only).
func NewVerifier(jwks []byte, issuer string, replay ReplayCache) (*Verifier, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, fmt.Errorf("sso: jwks: %w", err)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			return nil, errors.New("sso: jwks holds a private key")
		}
	}
	return &Verifier{keys: set, issuer: issuer, replay: replay}, nil
}

// Verify checks, in order: the algorithm is EdDSA, the key id is known, the
// signature, the issuer, the audience, the time window (with Leeway), the
// lifetime, and that the token id was not seen before.
func (v *Verifier) Verify(token, audience string, now time.Time) (Claims, error) {
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return Claims{}, fmt.Errorf("%w: no key id", ErrMalformed)
	}
	keys := v.keys.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		return Claims{}, fmt.Errorf("%w: %q", ErrUnknownKey, tok.Headers[0].KeyID)
	}
	var std jwt.Claims
	var ex extra
	if err := tok.Claims(keys[0].Key, &std, &ex); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrSignature, err)
	}
	if std.Issuer != v.issuer {
		return Claims{}, ErrIssuer
	}
	if audience == "" || !std.Audience.Contains(audience) {
		return Claims{}, ErrAudience
	}
	if std.Expiry == nil || std.IssuedAt == nil || std.ID == "" {
		return Claims{}, fmt.Errorf("%w: exp, iat and jti are required", ErrMalformed)
	}
	exp, iat := std.Expiry.Time(), std.IssuedAt.Time()
	switch {
	case now.Add(-Leeway).After(exp):
		return Claims{}, ErrExpired
	case now.Add(Leeway).Before(iat), std.NotBefore != nil && now.Add(Leeway).Before(std.NotBefore.Time()):
		return Claims{}, ErrNotYetValid
	case exp.Sub(iat) > MaxTTL:
		return Claims{}, ErrLifetime
	}
	teacher, err := uuid.Parse(std.Subject)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: subject", ErrMalformed)
	}
	// Replay last: a token that fails any other check must not burn its id.
	if v.replay != nil && !v.replay.Use(std.ID, exp.Add(Leeway), now) {
		return Claims{}, ErrReplay
	}
	return Claims{
		TeacherID: teacher, Name: ex.Name, EnrollmentID: ex.EnrollmentID, ProjectID: ex.ProjectID,
		ClassID: ex.ClassID, Audience: audience, ID: std.ID, Issuer: std.Issuer, IssuedAt: iat, Expiry: exp,
	}, nil
}

// MemoryReplayCache is a ReplayCache for one process; expired ids are
// dropped as new ones arrive, so it holds at most a TTL's worth of logins.
type MemoryReplayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func NewMemoryReplayCache() *MemoryReplayCache {
	return &MemoryReplayCache{seen: map[string]time.Time{}}
}

func (c *MemoryReplayCache) Use(jti string, expiry, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, until := range c.seen {
		if now.After(until) {
			delete(c.seen, id)
		}
	}
	if _, dup := c.seen[jti]; dup {
		return false
	}
	c.seen[jti] = expiry
	return true
}

// MaskName keeps the family name's first character: "张三" -> "张*",
// "欧阳娜娜" -> "欧***". The institution learns who arrived from its own
// roster by teacher id; the token carries no more than a greeting needs.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) <= 1 {
		return string(r)
	}
	return string(r[:1]) + strings.Repeat("*", len(r)-1)
}
