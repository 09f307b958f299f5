package sso

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"

	"github.com/go-jose/go-jose/v4"
)

// Key is one signing key. Previous keys may carry only Public: they are
// kept to verify tokens issued before a rotation.
type Key struct {
	ID      string
	Private ed25519.PrivateKey
	Public  ed25519.PublicKey
}

// KeySet is the current signing key and the previous ones still published.
type KeySet struct {
	Current  Key
	Previous []Key
}

var (
	ErrNoSigningKey = errors.New("sso: the current key has no private part")
	ErrBadKey       = errors.New("sso: malformed key")
)

// GenerateKey makes an Ed25519 key from rand (crypto/rand.Reader in
// production) with its RFC 7638 thumbprint as key id, so ids never clash
// and need no registry.
func GenerateKey(rand io.Reader) (Key, error) {
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return Key{}, fmt.Errorf("sso: generate key: %w", err)
	}
	kid, err := thumbprint(pub)
	if err != nil {
		return Key{}, err
	}
	return Key{ID: kid, Private: priv, Public: pub}, nil
}

func thumbprint(pub ed25519.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("sso: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

func (k Key) validate() error {
	if k.ID == "" {
		return fmt.Errorf("%w: empty key id", ErrBadKey)
	}
	if len(k.Public) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: key %s has no public part", ErrBadKey, k.ID)
	}
	if k.Private != nil {
		if len(k.Private) != ed25519.PrivateKeySize || !bytes.Equal(k.Private.Public().(ed25519.PublicKey), k.Public) {
			return fmt.Errorf("%w: key %s: private and public parts differ", ErrBadKey, k.ID)
		}
	}
	return nil
}

// Validate checks that the current key can sign and ids are unique.
func (s KeySet) Validate() error {
	if s.Current.Private == nil {
		return ErrNoSigningKey
	}
	seen := map[string]bool{}
	for _, k := range append([]Key{s.Current}, s.Previous...) {
		if err := k.validate(); err != nil {
			return err
		}
		if seen[k.ID] {
			return fmt.Errorf("%w: key id %s twice", ErrBadKey, k.ID)
		}
		seen[k.ID] = true
	}
	return nil
}

// Rotate makes next the current key and keeps at most keep previous keys
// (public parts only: an old private key has no use left and should not be
// stored). Publish the new JWKS before signing with next if institutions
// cache it; see docs/SSO.md.
func (s KeySet) Rotate(next Key, keep int) KeySet {
	prev := []Key{{ID: s.Current.ID, Public: s.Current.Public}}
	for _, k := range s.Previous {
		prev = append(prev, Key{ID: k.ID, Public: k.Public})
	}
	if keep < len(prev) {
		prev = prev[:max(keep, 0)]
	}
	return KeySet{Current: next, Previous: prev}
}

const pemKeyID = "Key-Id"

// MarshalPEM writes the set as PEM blocks: the current key as a PKCS #8
// "PRIVATE KEY", each previous key as a PKIX "PUBLIC KEY", each with a
// Key-Id header. Store it like any secret (file mode 0600, or an encrypted
// database column).
func (s KeySet) MarshalPEM() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	der, err := x509.MarshalPKCS8PrivateKey(s.Current.Private)
	if err != nil {
		return nil, fmt.Errorf("sso: marshal key: %w", err)
	}
	if err := pem.Encode(&buf, &pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{pemKeyID: s.Current.ID}, Bytes: der}); err != nil {
		return nil, err
	}
	for _, k := range s.Previous {
		der, err := x509.MarshalPKIXPublicKey(k.Public)
		if err != nil {
			return nil, fmt.Errorf("sso: marshal key: %w", err)
		}
		if err := pem.Encode(&buf, &pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{pemKeyID: k.ID}, Bytes: der}); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// ParseKeySetPEM reads what MarshalPEM wrote: the one PRIVATE KEY block is
// the current key, PUBLIC KEY blocks (and any further private ones) are
// previous keys, in order. A block without Key-Id gets its thumbprint.
func ParseKeySetPEM(data []byte) (KeySet, error) {
	var s KeySet
	haveCurrent := false
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		var k Key
		switch b.Type {
		case "PRIVATE KEY":
			parsed, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return KeySet{}, fmt.Errorf("%w: %w", ErrBadKey, err)
			}
			priv, ok := parsed.(ed25519.PrivateKey)
			if !ok {
				return KeySet{}, fmt.Errorf("%w: not an Ed25519 key", ErrBadKey)
			}
			k = Key{Private: priv, Public: priv.Public().(ed25519.PublicKey)}
		case "PUBLIC KEY":
			parsed, err := x509.ParsePKIXPublicKey(b.Bytes)
			if err != nil {
				return KeySet{}, fmt.Errorf("%w: %w", ErrBadKey, err)
			}
			pub, ok := parsed.(ed25519.PublicKey)
			if !ok {
				return KeySet{}, fmt.Errorf("%w: not an Ed25519 key", ErrBadKey)
			}
			k = Key{Public: pub}
		default:
			return KeySet{}, fmt.Errorf("%w: unexpected PEM block %q", ErrBadKey, b.Type)
		}
		k.ID = b.Headers[pemKeyID]
		if k.ID == "" {
			id, err := thumbprint(k.Public)
			if err != nil {
				return KeySet{}, err
			}
			k.ID = id
		}
		if k.Private != nil && !haveCurrent {
			s.Current, haveCurrent = k, true
		} else {
			s.Previous = append(s.Previous, Key{ID: k.ID, Public: k.Public})
		}
	}
	if !haveCurrent {
		return KeySet{}, ErrNoSigningKey
	}
	if err := s.Validate(); err != nil {
		return KeySet{}, err
	}
	return s, nil
}

// jwks builds the public key set.
func (s KeySet) jwks() jose.JSONWebKeySet {
	var out jose.JSONWebKeySet
	for _, k := range append([]Key{s.Current}, s.Previous...) {
		out.Keys = append(out.Keys, jose.JSONWebKey{Key: k.Public, KeyID: k.ID, Algorithm: string(jose.EdDSA), Use: "sig"})
	}
	return out
}
