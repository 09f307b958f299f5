package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hbte/record/eventstore"
)

// eventBudget is what one event of any type may weigh: far under the event
// store's append limit (eventstore.MaxAppendSize, 1 MiB), so a command that
// appends a few events never meets it.
const eventBudget = 64 << 10

// TestEventSizeBudget fills every registered event type as largely as is
// plausible (every text 100 Chinese characters, every list 20 entries,
// nested alike; the legacy fields old events alone carry are left out) and
// requires it to stay within eventBudget. A type that needs longer lists
// belongs in a stored file referenced by hash (as the row errors of an
// appraisal upload are), not in its event.
func TestEventSizeBudget(t *testing.T) {
	reg := newRegistry()
	for _, name := range reg.Names() {
		e, err := reg.Decode(name, []byte(`{}`))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fill(reflect.ValueOf(e).Elem(), 0)
		typ, data, err := reg.Encode(e)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		size := eventstore.EventSize(eventstore.EventData{Type: typ, Data: data, Metadata: make([]byte, 1024)})
		if size > eventBudget {
			t.Errorf("%s: %d bytes at its largest plausible, budget %d", name, size, eventBudget)
		}
	}
}

func fill(v reflect.Value, depth int) {
	if depth > 4 || !v.CanSet() {
		return
	}
	if v.Type() == reflect.TypeOf(time.Time{}) {
		v.Set(reflect.ValueOf(time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(strings.Repeat("教", 100))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1 << (v.Type().Bits() - 2))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1 << (v.Type().Bits() - 2))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(123456.789)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes(make([]byte, 256))
			return
		}
		s := reflect.MakeSlice(v.Type(), 20, 20)
		for i := range 20 {
			fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Tag.Get("legacy") == "true" || !f.IsExported() {
				continue
			}
			fill(v.Field(i), depth+1)
		}
	case reflect.Map:
		// Maps in events are keyed by a bounded set (codes, fields).
	}
}
