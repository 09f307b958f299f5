package shred

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/hbte/record/domain/account"
	"github.com/hbte/record/domain/teacher"
)

// Prefix starts a sealed value. A sealed value replaces a personal string
// in an event's JSON, so the event still decodes into its Go type:
//
//	"pd1:<subject uuid>:<base64 (standard, unpadded) of nonce (12 bytes) || AES-256-GCM ciphertext and tag>"
//
// The additional data is "pd1" 0x00 subject 0x00 event type 0x00 path,
// where path is the member's name ("reason"), "profile.<name>" inside the
// registration's profile, or "<name>[]" for each element of a list.
const Prefix = "pd1:"

// Erased is what a sealed value reads as once its data key is destroyed.
const Erased = teacher.ErasedValue

// PersonalField reports whether a teacher's field is sealed
// (teacher.PersonalFields).
func PersonalField(field string) bool { return teacher.IsPersonalField(field) }

// spec names the members sealed in one event type.
type spec struct {
	always  []string // string members, always
	byField []string // string members, when the member "field" names a personal field
	lists   []string // lists of strings, each element
	profile bool     // the personal fields of the member "profile"
}

var specs = map[string]spec{
	teacher.TypeRegistered:          {always: []string{"certificate_override"}, profile: true},
	teacher.TypeOrdinaryFieldEdited: {always: []string{"reason"}, byField: []string{"old", "new"}},
	teacher.TypeKeyFieldCorrected:   {always: []string{"reason", "override"}, byField: []string{"old", "new", "old_label", "new_label"}},
	teacher.TypeCorrectionRequested: {always: []string{"reason"}, byField: []string{"current", "proposed"}, lists: []string{"evidence"}},
	teacher.TypeCorrectionApproved:  {always: []string{"comment"}},
	teacher.TypeCorrectionRejected:  {always: []string{"reason"}},
	teacher.TypeTransferStarted:     {always: []string{"reason"}},
	teacher.TypeTransferRejected:    {always: []string{"reason"}},
	teacher.TypeTransferCancelled:   {always: []string{"reason"}},
	account.TypeCreated:             {always: []string{"login", "display_name"}},
	account.TypeLoginChanged:        {always: []string{"old", "new"}},
	account.TypeDisplayNameChanged:  {always: []string{"old", "new"}},
}

// Codec seals and opens the personal fields of events' JSON with their
// subject's data key. The subject of a teacher's events is the teacher
// (stream teacher-<id>), of an account's events the account.
type Codec struct {
	Keys *Keys
}

// Subject is the owner of the data key of stream's personal fields.
func Subject(stream string) (uuid.UUID, bool) {
	for _, p := range []string{"teacher-", "account-"} {
		if rest, ok := strings.CutPrefix(stream, p); ok {
			id, err := uuid.Parse(rest)
			return id, err == nil
		}
	}
	return uuid.Nil, false
}

func aad(subject uuid.UUID, typ, path string) []byte {
	return []byte("pd1\x00" + subject.String() + "\x00" + typ + "\x00" + path)
}

// Seal returns data with the personal fields of event type typ sealed
// under stream's subject; data itself when there are none. A destroyed key
// is ErrErased.
func (c *Codec) Seal(ctx context.Context, stream, typ string, data []byte) ([]byte, error) {
	sp, ok := specs[typ]
	if !ok {
		return data, nil
	}
	subject, ok := Subject(stream)
	if !ok {
		return data, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("seal %s: %w", typ, err)
	}
	var key cipher.AEAD
	changed := false
	seal := func(path string, raw json.RawMessage) (json.RawMessage, error) {
		var s string
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil || s == "" || strings.HasPrefix(s, Prefix) {
			return raw, nil
		}
		if key == nil {
			k, err := c.Keys.get(ctx, subject, true)
			if err != nil {
				return nil, err
			}
			key = k
		}
		nonce := make([]byte, key.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		ct := key.Seal(nonce, nonce, []byte(s), aad(subject, typ, path))
		changed = true
		return json.Marshal(Prefix + subject.String() + ":" + base64.RawStdEncoding.EncodeToString(ct))
	}
	members := sp.always
	if len(sp.byField) > 0 {
		var f string
		_ = json.Unmarshal(m["field"], &f)
		if PersonalField(f) {
			members = append(append([]string(nil), members...), sp.byField...)
		}
	}
	for _, name := range members {
		if raw, ok := m[name]; ok {
			v, err := seal(name, raw)
			if err != nil {
				return nil, err
			}
			m[name] = v
		}
	}
	for _, name := range sp.lists {
		var list []json.RawMessage
		if raw, ok := m[name]; !ok || json.Unmarshal(raw, &list) != nil {
			continue
		}
		for i := range list {
			v, err := seal(name+"[]", list[i])
			if err != nil {
				return nil, err
			}
			list[i] = v
		}
		b, err := json.Marshal(list)
		if err != nil {
			return nil, err
		}
		m[name] = b
	}
	if sp.profile {
		var p map[string]json.RawMessage
		if raw, ok := m["profile"]; ok && json.Unmarshal(raw, &p) == nil {
			for _, name := range teacher.PersonalFields {
				if raw, ok := p[name]; ok {
					v, err := seal("profile."+name, raw)
					if err != nil {
						return nil, err
					}
					p[name] = v
				}
			}
			b, err := json.Marshal(p)
			if err != nil {
				return nil, err
			}
			m["profile"] = b
		}
	}
	if !changed {
		return data, nil
	}
	return json.Marshal(m)
}

var sealedMark = []byte(`"` + Prefix)

// Open returns data with every sealed value opened, or Erased where its
// key was destroyed; data itself when nothing is sealed (events stored
// before encryption, events without personal fields).
func (c *Codec) Open(ctx context.Context, typ string, data []byte) ([]byte, error) {
	if !bytes.Contains(data, sealedMark) {
		return data, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("open %s: %w", typ, err)
	}
	for name, raw := range m {
		v, err := c.openValue(ctx, typ, name, raw, true)
		if err != nil {
			return nil, err
		}
		m[name] = v
	}
	return json.Marshal(m)
}

// openValue opens a sealed string, each sealed string of a list, and (one
// level deep) each sealed member of an object.
func (c *Codec) openValue(ctx context.Context, typ, path string, raw json.RawMessage, nest bool) (json.RawMessage, error) {
	if !bytes.Contains(raw, sealedMark) {
		return raw, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		plain, err := c.openString(ctx, typ, path, s)
		if err != nil {
			return nil, err
		}
		return json.Marshal(plain)
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		for i := range list {
			v, err := c.openValue(ctx, typ, path+"[]", list[i], false)
			if err != nil {
				return nil, err
			}
			list[i] = v
		}
		return json.Marshal(list)
	case '{':
		if !nest {
			return raw, nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, err
		}
		for name, v := range obj {
			o, err := c.openValue(ctx, typ, path+"."+name, v, false)
			if err != nil {
				return nil, err
			}
			obj[name] = o
		}
		return json.Marshal(obj)
	}
	return raw, nil
}

func (c *Codec) openString(ctx context.Context, typ, path, s string) (string, error) {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok || len(rest) < 37 || rest[36] != ':' {
		return s, nil
	}
	subject, err := uuid.Parse(rest[:36])
	if err != nil {
		return s, nil
	}
	ct, err := base64.RawStdEncoding.DecodeString(rest[37:])
	if err != nil {
		return "", fmt.Errorf("open %s %s: %w", typ, path, err)
	}
	key, err := c.Keys.get(ctx, subject, false)
	if err != nil {
		return "", err
	}
	if key == nil {
		return Erased, nil
	}
	if len(ct) < key.NonceSize() {
		return "", fmt.Errorf("open %s %s: sealed value too short", typ, path)
	}
	plain, err := key.Open(nil, ct[:key.NonceSize()], ct[key.NonceSize():], aad(subject, typ, path))
	if err != nil {
		return "", fmt.Errorf("open %s %s of %s: %w", typ, path, subject, err)
	}
	return string(plain), nil
}
