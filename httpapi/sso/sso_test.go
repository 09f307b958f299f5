package sso

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"
)

var t0 = time.Date(2026, 5, 10, 8, 0, 0, 0, time.UTC)

func mustKey(t *testing.T) Key {
	t.Helper()
	k, err := GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustIssuer(t *testing.T, keys KeySet, opts ...Option) *Issuer {
	t.Helper()
	i, err := NewIssuer(keys, func() time.Time { return t0 }, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func claims() Claims {
	return Claims{
		TeacherID: uuid.New(), Name: MaskName("张三丰"), EnrollmentID: uuid.New(), ProjectID: uuid.New(),
		ClassID: uuid.New(), Audience: "inst-" + uuid.NewString(),
	}
}

func TestRoundTrip(t *testing.T) {
	iss := mustIssuer(t, KeySet{Current: mustKey(t)}, WithIssuer("https://record.example"))
	c := claims()
	tok, err := iss.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(iss.JWKS(), "https://record.example", NewMemoryReplayCache())
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(tok, c.Audience, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.TeacherID != c.TeacherID || got.Name != "张**" || got.EnrollmentID != c.EnrollmentID ||
		got.ProjectID != c.ProjectID || got.ClassID != c.ClassID || got.Audience != c.Audience {
		t.Errorf("claims = %+v, want %+v", got, c)
	}
	if !got.IssuedAt.Equal(t0) || !got.Expiry.Equal(t0.Add(DefaultTTL)) || got.ID == "" || got.Issuer != "https://record.example" {
		t.Errorf("registered claims = %+v", got)
	}
	other, _ := iss.Issue(c)
	if o, _ := iss.Verify(other, c.Audience, t0); o.ID == got.ID {
		t.Error("two tokens share a jti")
	}
}

func TestVerifyRefusals(t *testing.T) {
	oldKey, curKey := mustKey(t), mustKey(t)
	old := mustIssuer(t, KeySet{Current: oldKey})
	keys := KeySet{Current: oldKey}.Rotate(curKey, 1)
	iss := mustIssuer(t, keys)
	stranger := mustIssuer(t, KeySet{Current: mustKey(t)})
	otherName := mustIssuer(t, keys, WithIssuer("someone-else"))
	c := claims()
	good, _ := iss.Issue(c)
	fromOld, _ := old.Issue(c)
	fromStranger, _ := stranger.Issue(c)
	fromOtherName, _ := otherName.Issue(c)

	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(payload), c.TeacherID.String(), uuid.NewString(), 1)
	tamperedPayload := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[0] ^= 1
	tamperedSig := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"` + curKey.ID + `"}`))
	algNone := noneHeader + "." + parts[1] + "."

	// A token with a 1-hour lifetime, signed by the right key.
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: curKey.Private, KeyID: curKey.ID}}, nil)
	long, _ := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: DefaultIssuer, Subject: c.TeacherID.String(), Audience: jwt.Audience{c.Audience}, ID: "x",
		IssuedAt: jwt.NewNumericDate(t0), Expiry: jwt.NewNumericDate(t0.Add(time.Hour)),
	}).Serialize()
	noJTI, _ := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: DefaultIssuer, Subject: c.TeacherID.String(), Audience: jwt.Audience{c.Audience},
		IssuedAt: jwt.NewNumericDate(t0), Expiry: jwt.NewNumericDate(t0.Add(time.Minute)),
	}).Serialize()

	tests := []struct {
		name     string
		token    string
		audience string
		now      time.Time
		want     error
	}{
		{"valid", good, c.Audience, t0, nil},
		{"valid within leeway after expiry", good, c.Audience, t0.Add(DefaultTTL + Leeway - time.Second), nil},
		{"signed with the previous key", fromOld, c.Audience, t0, nil},
		{"expired", good, c.Audience, t0.Add(DefaultTTL + Leeway + time.Second), ErrExpired},
		{"issued in the future", good, c.Audience, t0.Add(-time.Minute), ErrNotYetValid},
		{"wrong audience", good, "inst-other", t0, ErrAudience},
		{"empty audience", good, "", t0, ErrAudience},
		{"tampered payload", tamperedPayload, c.Audience, t0, ErrSignature},
		{"tampered signature", tamperedSig, c.Audience, t0, ErrSignature},
		{"unknown key id", fromStranger, c.Audience, t0, ErrUnknownKey},
		{"other issuer name", fromOtherName, c.Audience, t0, ErrIssuer},
		{"alg none", algNone, c.Audience, t0, ErrMalformed},
		{"garbage", "not.a.token", c.Audience, t0, ErrMalformed},
		{"lifetime too long", long, c.Audience, t0, ErrLifetime},
		{"no jti", noJTI, c.Audience, t0, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(iss.JWKS(), DefaultIssuer, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(tt.token, tt.audience, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReplay(t *testing.T) {
	iss := mustIssuer(t, KeySet{Current: mustKey(t)})
	c := claims()
	tok, _ := iss.Issue(c)
	cache := NewMemoryReplayCache()
	v, _ := NewVerifier(iss.JWKS(), DefaultIssuer, cache)
	if _, err := v.Verify(tok, "inst-other", t0); !errors.Is(err, ErrAudience) {
		t.Fatalf("err = %v", err)
	}
	// The failed attempt above must not have burnt the id.
	if _, err := v.Verify(tok, c.Audience, t0); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if _, err := v.Verify(tok, c.Audience, t0.Add(time.Second)); !errors.Is(err, ErrReplay) {
		t.Fatalf("second use: err = %v, want replay", err)
	}
	// Expired ids are forgotten, so the cache does not grow forever.
	next, _ := iss.Issue(c)
	if _, err := v.Verify(next, c.Audience, t0.Add(DefaultTTL)); err != nil {
		t.Fatal(err)
	}
	cache.Use("probe", t0.Add(time.Hour), t0.Add(DefaultTTL+2*Leeway))
	cache.mu.Lock()
	n := len(cache.seen)
	cache.mu.Unlock()
	if n != 1 {
		t.Errorf("cache holds %d ids, want 1", n)
	}
}

func TestJWKS(t *testing.T) {
	a, b := mustKey(t), mustKey(t)
	iss := mustIssuer(t, KeySet{Current: a}.Rotate(b, 5))
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(iss.JWKS(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 2 {
		t.Fatalf("keys = %d, want 2", len(doc.Keys))
	}
	for i, want := range []string{b.ID, a.ID} {
		k := doc.Keys[i]
		if k["kid"] != want || k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" || k["use"] != "sig" {
			t.Errorf("key %d = %v", i, k)
		}
		if _, leaked := k["d"]; leaked {
			t.Errorf("key %d publishes its private part", i)
		}
	}
}

func TestRotateKeepsBoundedHistory(t *testing.T) {
	s := KeySet{Current: mustKey(t)}
	var ids []string
	for range 4 {
		ids = append(ids, s.Current.ID)
		s = s.Rotate(mustKey(t), 2)
	}
	if len(s.Previous) != 2 || s.Previous[0].ID != ids[3] || s.Previous[1].ID != ids[2] {
		t.Fatalf("previous = %+v, want %v", s.Previous, ids[2:])
	}
	for _, k := range s.Previous {
		if k.Private != nil {
			t.Error("a previous key kept its private part")
		}
	}
}

func TestPEMRoundTrip(t *testing.T) {
	s := KeySet{Current: mustKey(t)}.Rotate(mustKey(t), 3)
	data, err := s.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("Key-Id: "+s.Current.ID)) {
		t.Errorf("PEM lacks the key id:\n%s", data)
	}
	back, err := ParseKeySetPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Current.ID != s.Current.ID || !back.Current.Private.Equal(s.Current.Private) ||
		len(back.Previous) != 1 || back.Previous[0].ID != s.Previous[0].ID || !back.Previous[0].Public.Equal(s.Previous[0].Public) {
		t.Errorf("round trip differs: %+v", back)
	}
	// A token from the parsed set verifies with the original set's JWKS.
	c := claims()
	tok, _ := mustIssuer(t, back).Issue(c)
	if _, err := mustIssuer(t, s).Verify(tok, c.Audience, t0); err != nil {
		t.Errorf("verify across PEM: %v", err)
	}
}

func TestKeyErrors(t *testing.T) {
	a, b := mustKey(t), mustKey(t)
	pubOnly := KeySet{Current: Key{ID: a.ID, Public: a.Public}}
	mismatched := KeySet{Current: Key{ID: a.ID, Private: a.Private, Public: b.Public}}
	dupID := KeySet{Current: a, Previous: []Key{{ID: a.ID, Public: b.Public}}}
	tests := []struct {
		name string
		s    KeySet
		want error
	}{
		{"no private key", pubOnly, ErrNoSigningKey},
		{"mismatched parts", mismatched, ErrBadKey},
		{"duplicate id", dupID, ErrBadKey},
	}
	for _, tt := range tests {
		if _, err := NewIssuer(tt.s, func() time.Time { return t0 }); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := ParseKeySetPEM([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")); !errors.Is(err, ErrBadKey) {
		t.Errorf("bad PEM: err = %v", err)
	}
	if _, err := NewIssuer(KeySet{Current: a}, func() time.Time { return t0 }, WithTTL(time.Hour)); err == nil {
		t.Error("a one-hour TTL was accepted")
	}
	iss := mustIssuer(t, KeySet{Current: a})
	if _, err := iss.Issue(Claims{TeacherID: uuid.New()}); err == nil {
		t.Error("token without audience issued")
	}
	if _, err := NewVerifier([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}`), DefaultIssuer, nil); err == nil {
		t.Error("a JWKS with a private key was accepted")
	}
}

func TestMaskName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"张三", "张*"}, {"欧阳娜娜", "欧***"}, {"李", "李"}, {"", ""}, {" 王五 ", "王*"},
	}
	for _, tt := range tests {
		if got := MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
