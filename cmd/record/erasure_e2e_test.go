package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/eventstore"
	"github.com/hbte/record/shred"
)

// TestErasureEndToEnd: a province admin erases a teacher's personal data
// (docs/INTEGRITY.md section 6). The events stay and verify, the read
// models show "已删除" live and after a rebuild, no personal value of the
// teacher is left in the events' bytes or any table, the ID number is free
// again, the login is gone and the record is read-only.
func TestErasureEndToEnd(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		a := startApp(t, backend)
		ctx := context.Background()
		root, county, unit := provinceAndCounty(t, a)

		idNumber := demoID("13010219900307123")
		name, mobile, newName := "欧阳娜娜", "13803110009", "欧阳丽娜"
		var reg struct{ ID string }
		county.must(201, "POST", "/api/v1/teachers", map[string]string{"name": name, "id_type": "1", "id_number": idNumber, "unit_id": unit.ID,
			"work_start": "2012-09", "certificate_type": "3", "certificate_number": "20121301031000123", "mobile": mobile}).json(t, &reg)
		tid := reg.ID
		// A colleague who stays: her record must open after the master
		// key's rotation below.
		keptName := "上官婉儿"
		county.must(201, "POST", "/api/v1/teachers", map[string]string{"name": keptName, "id_type": "1", "id_number": demoID("13010219850611234"), "unit_id": unit.ID,
			"work_start": "2008-09", "certificate_type": "3", "certificate_number": "20081301031000777", "mobile": "13803110010"})
		county.must(200, "PATCH", "/api/v1/teachers/"+tid, map[string]any{"changes": map[string]string{"email": "ouyang@example.cn"}}, "If-Match", `"0"`)
		county.must(200, "POST", "/api/v1/teachers/"+tid+"/key-field-corrections",
			map[string]any{"changes": map[string]string{"name": newName}, "reason": "身份证姓名为" + newName}, "If-Match", `"1"`)

		// The teacher acts on her own record too: events name her by
		// account and role, never by name (access.Actor.RecordedName).
		self := a.login(idNumber, commands.InitialPassword(idNumber), "Teacher-Pass-9")
		self.must(200, "PATCH", "/api/v1/teachers/"+tid, map[string]any{"changes": map[string]string{"political_status": "01"}}, "If-Match", `"2"`)

		// Sealed from the start: the events never held the values.
		secrets := []string{idNumber, name, newName, mobile, "ouyang@example.cn", "1990-03-07", "20121301031000123"}
		assertNowhere := func(when string, tablesToo bool) {
			t.Helper()
			raw := a.rawEvents(t)
			for _, s := range secrets {
				if bytes.Contains(raw, []byte(s)) {
					t.Errorf("%s: %q is readable in the stored events", when, s)
				}
			}
			if !tablesToo {
				return
			}
			for _, s := range secrets {
				if where := a.tablesHolding(t, s); len(where) > 0 {
					t.Errorf("%s: %q is in %v", when, s, where)
				}
			}
		}
		assertNowhere("before the erasure", false)

		// Only a province admin, with a reason.
		if r := county.do("POST", "/api/v1/teachers/"+tid+"/erasure", map[string]string{"reason": "x"}); r.Status != 403 && r.Status != 404 {
			t.Fatalf("county admin erases: %d %s", r.Status, r.Body)
		}
		if r := root.do("POST", "/api/v1/teachers/"+tid+"/erasure", map[string]string{"reason": " "}); r.Status != 400 && r.Status != 422 {
			t.Fatalf("erasure without reason: %d %s", r.Status, r.Body)
		}
		if r := root.do("POST", "/api/v1/teachers/"+tid+"/erasure", map[string]string{"reason": "依据《个人信息保护法》第四十七条，本人申请删除"}, "If-Match", `"0"`); r.Status != 409 {
			t.Fatalf("erasure with a stale If-Match: %d %s", r.Status, r.Body)
		}
		root.must(200, "POST", "/api/v1/teachers/"+tid+"/erasure", map[string]string{"reason": "依据《个人信息保护法》第四十七条，本人申请删除"}, "If-Match", `"3"`)
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if err := a.svc.Runner.WaitFor(wctx, a.lastEventPosition()); err != nil {
			t.Fatalf("wait for the erasure process: %v", err)
		}
		cancel()

		check := func(when string) {
			t.Helper()
			body := string(root.must(200, "GET", "/api/v1/teachers/"+tid, nil).Body)
			if !strings.Contains(body, "已删除") || strings.Contains(body, newName) {
				t.Errorf("%s: profile %s", when, body)
			}
			assertNowhere(when, true)
		}
		check("live")

		// Read-only; the login is gone; the ID number is free again.
		if r := county.do("PATCH", "/api/v1/teachers/"+tid, map[string]any{"changes": map[string]string{"ethnicity": "01"}}, "If-Match", `"3"`); r.Status != 409 {
			t.Fatalf("edit of an erased record: %d %s", r.Status, r.Body)
		}
		if r := a.anon().do("POST", "/api/v1/sessions", map[string]string{"login": idNumber, "password": commands.InitialPassword(idNumber)}); r.Status == 201 {
			t.Fatal("the erased teacher's login still works")
		}
		if owner, err := a.svc.Handlers.TeacherByIDNumber(ctx, idNumber); err == nil {
			t.Fatalf("the ID number is still claimed by %s", owner)
		}

		// Rotation of the master key: afterwards the file holds only the
		// new key, and a process that knows only it opens every event:
		// the colleague's name, the erased teacher's "已删除".
		oldKey, err := a.svc.Personal.Keys.Ring().CurrentID()
		if err != nil {
			t.Fatal(err)
		}
		var rotated strings.Builder
		if err := a.svc.RotatePersonalKey(ctx, &rotated); err != nil {
			t.Fatalf("rotate: %v", err)
		}
		pem, err := os.ReadFile(filepath.Join(a.svc.Cfg.DataDir, shred.MasterKeyFile))
		if err != nil || strings.Contains(string(pem), oldKey) || strings.Count(string(pem), "BEGIN") != 1 {
			t.Fatalf("key file after the rotation (old key %s): %v\n%s\n%s", oldKey, err, pem, rotated.String())
		}
		fresh := &shred.Codec{Keys: shred.NewKeys(a.svc.Pool, a.svc.Cfg.DataDir, time.Now)}
		var opened strings.Builder
		for from := eventstore.Start; ; {
			batch, err := a.svc.Store.ReadAll(ctx, from, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(batch) == 0 {
				break
			}
			for _, r := range batch {
				data, err := fresh.Open(ctx, r.Type, r.Data)
				if err != nil {
					t.Fatalf("open %s@%d after the rotation: %v", r.Stream, r.Revision, err)
				}
				opened.Write(data)
			}
			from = batch[len(batch)-1].Position
		}
		if o := opened.String(); !strings.Contains(o, keptName) || strings.Contains(o, name) || strings.Contains(o, shred.Prefix) {
			t.Errorf("events opened after the rotation: kept name %v, erased name %v, sealed left %v",
				strings.Contains(o, keptName), strings.Contains(o, name), strings.Contains(o, shred.Prefix))
		}

		// What the erasure process appended (the claims released) is
		// applied everywhere before the tables are compared.
		wctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		if err := a.svc.Runner.WaitFor(wctx, a.lastEventPosition()); err != nil {
			t.Fatalf("wait for the process's events: %v", err)
		}
		cancel()
		// The live scrub and a rebuild from the sealed events leave every
		// read-model table the same.
		assertRebuildIdentical(t, a)
		check("after a rebuild")
		var n int
		if err := a.svc.Pool.QueryRow(ctx, `SELECT count(*) FROM teacher_profiles WHERE teacher_id = $1 AND name = '已删除' AND id_number = '已删除' AND county = '130102'`, tid).Scan(&n); err != nil || n != 1 {
			t.Errorf("rebuilt profile: %d %v", n, err)
		}
		if err := a.svc.Verify(ctx, true, nil, io.Discard); err != nil {
			t.Errorf("verify after the erasure: %v", err)
		}
	})
}

// rawEvents is every stored event's data and metadata, concatenated: the
// feed once it shows the newest command's events (on PostgreSQL the feed
// holds back what any older transaction on the server might precede).
func (a *app) rawEvents(t *testing.T) []byte {
	t.Helper()
	if a.last != "" {
		pos, err := eventstore.ParsePosition(a.last)
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := a.svc.Runner.WaitFor(wctx, pos); err != nil {
			t.Fatalf("the feed did not reach %s: %v", a.last, err)
		}
	}
	var buf bytes.Buffer
	from := eventstore.Start
	for {
		batch, err := a.svc.Store.ReadAll(context.Background(), from, 1000)
		if err != nil {
			t.Fatalf("read all: %v", err)
		}
		if len(batch) == 0 {
			return buf.Bytes()
		}
		for _, r := range batch {
			buf.WriteString(r.Stream)
			buf.Write(r.Data)
			buf.Write(r.Metadata)
		}
		from = batch[len(batch)-1].Position
	}
}

// tablesHolding names the tables of schema public whose rows, as text,
// contain s.
func (a *app) tablesHolding(t *testing.T, s string) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := a.svc.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	var out []string
	for _, table := range tables {
		if table == "security_audit" {
			// Append-only by law: it keeps the login names typed, the
			// test's own attempt included (docs/INTEGRITY.md section 6).
			continue
		}
		var hit bool
		q := fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %q t WHERE position($1 IN t::text) > 0 OR position(convert_to($1, 'UTF8') IN convert_to(t::text, 'UTF8')) > 0)`, table)
		if err := a.svc.Pool.QueryRow(ctx, q, s).Scan(&hit); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		if hit {
			out = append(out, table)
		}
	}
	return out
}

// provinceAndCounty makes a province admin (hb_root) and the county admin
// of 长安区 with one school, both logged in.
func provinceAndCounty(t *testing.T, a *app) (root, county *client, unit struct{ ID string }) {
	t.Helper()
	if _, err := a.svc.CreateProvinceAdmin(context.Background(), "hb_root", "省级管理员", "Root-Pass-1"); err != nil {
		t.Fatal(err)
	}
	root = a.login("hb_root", "Root-Pass-1", "Root-Pass-2")
	var created struct {
		InitialPassword string `json:"initial_password"`
	}
	root.must(201, "POST", "/api/v1/accounts", map[string]string{"login": "changan", "role": "county_admin", "jurisdiction": "130102", "display_name": "长安区管理员"}).json(t, &created)
	county = a.login("changan", created.InitialPassword, "Changed-changan-1")
	county.must(201, "POST", "/api/v1/units", map[string]string{"name": "石家庄市第二十五中学", "county": "130102", "area": "1", "category": "341"}).json(t, &unit)
	return root, county, unit
}
