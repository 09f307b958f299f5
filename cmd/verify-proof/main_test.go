package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/ holds a proof, a consistency proof and the keys as the service
// produced them (cmd/record's TestIntegrityProofs writes them with
// UPDATE_PROOF_GOLDEN=1, and also runs this program on fresh ones).

func TestServiceProofsVerify(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-keys", "testdata/keys.json", "testdata/history-proof.json"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "OK: ") {
		t.Fatalf("output %q", out.String())
	}
	out.Reset()
	if err := run([]string{"-keys", "testdata/keys.json", "-consistency", "testdata/consistency.json"}, &out); err != nil {
		t.Fatal(err)
	}
}

// Every part of the proof is checked: a change anywhere fails.
func TestTamperedProofsFail(t *testing.T) {
	raw, err := os.ReadFile("testdata/history-proof.json")
	if err != nil {
		t.Fatal(err)
	}
	edits := map[string]func(m map[string]any){
		"data": func(m map[string]any) {
			ev := m["events"].([]any)[0].(map[string]any)
			ev["data_base64"] = flipBase64(ev["data_base64"].(string))
		},
		"metadata": func(m map[string]any) {
			ev := m["events"].([]any)[0].(map[string]any)
			ev["metadata_base64"] = flipBase64(ev["metadata_base64"].(string))
		},
		"recorded time": func(m map[string]any) {
			ev := m["events"].([]any)[1].(map[string]any)
			ev["recorded_at_us"] = ev["recorded_at_us"].(float64) + 1
		},
		"leaf index": func(m map[string]any) {
			ev := m["events"].([]any)[0].(map[string]any)
			ev["leaf_index"] = ev["leaf_index"].(float64) + 1
		},
		"proof path": func(m map[string]any) {
			ev := m["events"].([]any)[0].(map[string]any)
			p := ev["inclusion_proof"].([]any)
			p[0] = strings.Repeat("0", 64)
		},
		"revision": func(m map[string]any) {
			ev := m["events"].([]any)[1].(map[string]any)
			ev["revision"] = ev["revision"].(float64) + 1
		},
		"tree size": func(m map[string]any) {
			d := m["digest"].(map[string]any)
			d["tree_size"] = d["tree_size"].(float64) + 1
		},
		"root": func(m map[string]any) {
			d := m["digest"].(map[string]any)
			d["root_hash"] = strings.Repeat("ab", 32)
		},
		"signature": func(m map[string]any) {
			d := m["digest"].(map[string]any)
			d["signature"] = flipBase64(d["signature"].(string))
		},
		"first event left out": func(m map[string]any) {
			evs := m["events"].([]any)
			m["events"] = evs[1:]
		},
	}
	dir := t.TempDir()
	for name, edit := range edits {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		p := filepath.Join(dir, "p.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := run([]string{"-keys", "testdata/keys.json", p}, &out); err == nil {
			t.Errorf("a changed %s passed: %s", name, out.String())
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func flipBase64(s string) string {
	b := []byte(s)
	if b[2] == 'A' {
		b[2] = 'B'
	} else {
		b[2] = 'A'
	}
	return string(b)
}

// RFC 6962's definitions, recursively, to check the iterative algorithms.
func mth(leaves []hash) hash {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := split(len(leaves))
	return nodeHash(mth(leaves[:k]), mth(leaves[k:]))
}

func split(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

func path(m int, leaves []hash) []hash {
	if len(leaves) == 1 {
		return nil
	}
	k := split(len(leaves))
	if m < k {
		return append(path(m, leaves[:k]), mth(leaves[k:]))
	}
	return append(path(m-k, leaves[k:]), mth(leaves[:k]))
}

func subproof(m int, leaves []hash, b bool) []hash {
	n := len(leaves)
	if m == n {
		if b {
			return nil
		}
		return []hash{mth(leaves)}
	}
	k := split(n)
	if m <= k {
		return append(subproof(m, leaves[:k], b), mth(leaves[k:]))
	}
	return append(subproof(m-k, leaves[k:], false), mth(leaves[:k]))
}

func TestRFC9162Algorithms(t *testing.T) {
	var leaves []hash
	for i := 0; i < 40; i++ {
		leaves = append(leaves, leafHash([]byte(fmt.Sprint(i))))
	}
	for n := 1; n <= len(leaves); n++ {
		root := mth(leaves[:n])
		for m := 0; m < n; m++ {
			got, err := rootFromInclusion(uint64(m), uint64(n), leaves[m], path(m, leaves[:n]))
			if err != nil || got != root {
				t.Fatalf("inclusion %d in %d: %v", m, n, err)
			}
			if got, _ := rootFromInclusion(uint64(m), uint64(n), leaves[(m+1)%n], path(m, leaves[:n])); n > 1 && got == root {
				t.Fatalf("inclusion %d in %d accepts another leaf", m, n)
			}
		}
		for m := 1; m < n; m++ {
			p := subproof(m, leaves[:n], true)
			if err := consistent(uint64(m), uint64(n), mth(leaves[:m]), root, p); err != nil {
				t.Fatalf("consistency %d to %d: %v", m, n, err)
			}
			if err := consistent(uint64(m), uint64(n), mth(leaves[1:m+1]), root, p); err == nil {
				t.Fatalf("consistency %d to %d accepts another old root", m, n)
			}
		}
	}
}
