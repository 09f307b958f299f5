package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildVerifyProof builds the independent verifier (cmd/verify-proof).
func buildVerifyProof(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "verify-proof")
	out, err := exec.Command("go", "build", "-o", bin, "../verify-proof").CombinedOutput()
	if err != nil {
		t.Fatalf("build verify-proof: %v\n%s", err, out)
	}
	return bin
}

func runVerifyProof(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

// The auditor's story: sign a digest, fetch a teacher's history with
// inclusion proofs and the consistency proof between two digests, and check
// them with the independent verifier; check the whole store through the
// API and `record verify`. A changed byte in the proof fails the verifier.
func TestIntegrityProofs(t *testing.T) { forBackends(t, testIntegrityProofs) }

func testIntegrityProofs(t *testing.T, backend string) {
	a := startApp(t, backend)
	a.svc.ledger().Keys.Dir = t.TempDir() // DATA_DIR; read at first use
	ctx := context.Background()
	if _, err := a.svc.CreateProvinceAdmin(ctx, "prov", "省级管理员", "Prov-Pass-1"); err != nil {
		t.Fatal(err)
	}
	prov := a.login("prov", "Prov-Pass-1", "Prov-Pass-2")
	mk := func(login, role, region string) *client {
		var created struct {
			InitialPassword string `json:"initial_password"`
		}
		prov.must(201, "POST", "/api/v1/accounts", map[string]string{"login": login, "role": role, "jurisdiction": region, "display_name": login}).json(t, &created)
		return a.login(login, created.InitialPassword, "Changed-Pass-"+login)
	}
	county, city, auditor := mk("county", "county_admin", "130102"), mk("city", "city_admin", "1301"), mk("auditor", "auditor", "13")
	var unit, tch struct{ ID string }
	county.must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市第四十中学", "county": "130102", "area": "1", "category": "311"}).json(t, &unit)
	idNumber := demoID("13010219850101011")
	county.must(201, "POST", "/api/v1/teachers", map[string]string{"name": "陈一", "id_type": "1", "id_number": idNumber, "unit_id": unit.ID,
		"work_start": "2010-09", "certificate_type": "3", "certificate_number": "20101301031000001"}).json(t, &tch)
	self := a.login(idNumber, idNumber[12:], "Self-Pass-123")
	var corr struct{ ID string }
	self.must(201, "POST", "/api/v1/teachers/"+tch.ID+"/corrections", map[string]string{"field": "name", "proposed_value": "陈壹", "reason": "证件为壹"}).json(t, &corr)

	// The digest covers everything so far: wait for the read models first.
	auditor.must(200, "GET", "/api/v1/audit/digests", nil)
	var d0 struct {
		Number   uint64 `json:"number"`
		TreeSize uint64 `json:"tree_size"`
	}
	auditor.must(201, "POST", "/api/v1/audit/digests", nil).json(t, &d0)
	if d0.Number != 0 || d0.TreeSize < 5 {
		t.Fatalf("first digest: %+v", d0)
	}
	auditor.must(200, "GET", "/api/v1/audit/digests", nil)  // the digest event is applied
	auditor.must(200, "POST", "/api/v1/audit/digests", nil) // nothing new but the digest itself: no digest of a digest
	city.must(403, "POST", "/api/v1/audit/digests", nil)

	dir := t.TempDir()
	keys := a.anon().must(200, "GET", "/api/v1/public/integrity/keys", nil).Body
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keysFile := write("keys.json", keys)

	proofBody := auditor.must(200, "GET", "/api/v1/teachers/"+tch.ID+"/history/proof", nil).Body
	var proof struct {
		Events []struct {
			Revision uint64 `json:"revision"`
			Data     string `json:"data_base64"`
		} `json:"events"`
		Pending []json.RawMessage `json:"pending"`
	}
	if err := json.Unmarshal(proofBody, &proof); err != nil {
		t.Fatal(err)
	}
	if len(proof.Events) < 2 || len(proof.Pending) != 0 {
		t.Fatalf("proof: %s", proofBody)
	}
	self.must(200, "GET", "/api/v1/teachers/"+tch.ID+"/history/proof", nil)
	// A city admin reads the record but may not reveal personal data (a
	// refusal on a route naming a record may be answered as not found).
	if r := city.do("GET", "/api/v1/teachers/"+tch.ID+"/history/proof", nil); r.Status != 403 && r.Status != 404 {
		t.Fatalf("city admin's proof: %d %s", r.Status, r.Body)
	}

	bin := buildVerifyProof(t)
	proofFile := write("proof.json", proofBody)
	if out, err := runVerifyProof(t, bin, "-keys", keysFile, proofFile); err != nil || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("verify-proof on the service's proof: %v\n%s", err, out)
	}
	if os.Getenv("UPDATE_PROOF_GOLDEN") != "" && backend == "postgres" {
		for name, b := range map[string][]byte{"keys.json": keys, "history-proof.json": proofBody} {
			if err := os.WriteFile(filepath.Join("..", "verify-proof", "testdata", name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// One changed byte in the teacher's first event (a digit: the personal
	// fields are sealed, so no name is there to change): the verifier refuses.
	data, _ := base64.StdEncoding.DecodeString(proof.Events[0].Data)
	at := bytes.IndexAny(data, "0123456789")
	if at < 0 {
		t.Fatalf("no digit in the first event: %s", data)
	}
	data[at] = '0' + (data[at]-'0'+1)%10
	forged := base64.StdEncoding.EncodeToString(data)
	bad := bytes.Replace(proofBody, []byte(proof.Events[0].Data), []byte(forged), 1)
	if out, err := runVerifyProof(t, bin, "-keys", keysFile, write("bad.json", bad)); err == nil || !strings.Contains(out, "altered") {
		t.Fatalf("a forged event passed: %v\n%s", err, out)
	}

	// More events, a second digest, and the consistency proof between them.
	county.must(200, "POST", "/api/v1/teachers/"+tch.ID+"/corrections/"+corr.ID+"/approve", nil)
	auditor.must(200, "GET", "/api/v1/audit/digests", nil)
	var d1 struct {
		Number uint64 `json:"number"`
	}
	auditor.must(201, "POST", "/api/v1/audit/digests", nil).json(t, &d1)
	cons := auditor.must(200, "GET", "/api/v1/audit/digests/consistency?from=0&to="+itoa(d1.Number), nil).Body
	if out, err := runVerifyProof(t, bin, "-keys", keysFile, "-consistency", write("consistency.json", cons)); err != nil || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("verify-proof on the consistency proof: %v\n%s", err, out)
	}
	if os.Getenv("UPDATE_PROOF_GOLDEN") != "" && backend == "postgres" {
		if err := os.WriteFile(filepath.Join("..", "verify-proof", "testdata", "consistency.json"), cons, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if r := auditor.do("GET", "/api/v1/audit/digests/consistency?from=1&to=0", nil); r.Status != 422 || !strings.Contains(string(r.Body), `"to"`) {
		t.Fatalf("reversed digests: %d %s", r.Status, r.Body)
	}

	// The whole store, through the API and the CLI.
	var rep struct {
		OK     bool  `json:"ok"`
		Events int64 `json:"events"`
	}
	auditor.must(200, "GET", "/api/v1/audit/integrity", nil).json(t, &rep)
	if !rep.OK || rep.Events < 10 {
		t.Fatalf("integrity report: %+v", rep)
	}
	var out bytes.Buffer
	if err := a.svc.Verify(ctx, true, nil, &out); err != nil {
		t.Fatalf("record verify: %v\n%s", err, out.String())
	}
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
