package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/web"
)

// demoApp is the service on PostgreSQL with the demo data loaded.
// STORY_BACKEND=esdb runs the stories that use it on the EventStoreDB
// fake instead (make test runs the teacher's and the county's stories on
// both; every API story runs on both stores through forBackends).
func demoApp(t *testing.T) *app {
	t.Helper()
	if b := os.Getenv("STORY_BACKEND"); b != "" {
		return demoAppOn(t, b)
	}
	return demoAppOn(t, "postgres")
}

// demoAppOn is the service on backend with the demo data loaded.
func demoAppOn(t *testing.T, backend string) *app {
	t.Helper()
	a := startApp(t, backend)
	if err := a.svc.LoadDemo(context.Background(), io.Discard); err != nil {
		t.Fatalf("demo: %v", err)
	}
	return a
}

// Everyone: a wrong password is refused with the reason, the first login
// forces a password change before anything else, the header says who and
// where, logout ends the session, and a dead session goes back to login.
func TestBrowserLoginStory(t *testing.T) {
	a := demoApp(t)
	id := demoID("13010219800515011") // 王建国
	initial := commands.InitialPassword(id)

	wang := a.newPerson("王建国")
	wang.open("/")
	wang.see("登录", "用户名或身份证号")
	wang.shot("login")

	wang.login(id, "wrong-password")
	wang.see("用户名或密码错误")
	if v := eval[string](wang, `document.getElementById("login").value`); v != id {
		t.Fatalf("the login field lost what was typed: %q", v)
	}

	wang.login(strings.ToLower(id), initial)
	if got := wang.path(); got != "/password" {
		t.Fatalf("first login lands on %s, want /password", got)
	}
	wang.see("首次登录")
	wang.open("/me")
	if got := wang.path(); got != "/password" {
		t.Fatalf("before the change /me goes to %s, want /password", got)
	}
	wang.fill("原密码", initial)
	wang.fill("新密码", "onlylowercase")
	wang.fill("再次输入新密码", "onlylowercase")
	wang.click("保存新密码")
	wang.see("至少三类")
	wang.fill("原密码", initial)
	wang.fill("新密码", "Jianguo#2026")
	wang.fill("再次输入新密码", "Jianguo#2026")
	wang.click("保存新密码")
	wang.see("密码已修改", "王建国", "教师", "本人档案")
	if got := wang.path(); got != "/me" {
		t.Fatalf("after the change the teacher lands on %s, want /me", got)
	}

	wang.click("退出")
	wang.see("您已安全退出")
	wang.open("/me")
	if got := wang.path(); !strings.HasPrefix(got, "/login") {
		t.Fatalf("after logout /me shows %s, want the login page", got)
	}

	// An admin reaches their own workspace; the header names the jurisdiction.
	admin := a.newPerson("长安区管理员")
	admin.loginChanged("changan_admin", DemoPassword, "Changan#2026")
	admin.see("长安区管理员", "区县管理员", "河北省石家庄市长安区")
	admin.open("/me")
	admin.see("无权访问")
	admin.open("/no-such-page")
	admin.see("页面不存在")
}

// Five wrong passwords lock the account, and the page says for how long.
func TestBrowserLockout(t *testing.T) {
	a := demoApp(t)
	p := a.newPerson("桥西区管理员")
	for i := 0; i < 5; i++ {
		p.login("qiaoxi_admin", "Wrong#pass1")
	}
	p.login("qiaoxi_admin", DemoPassword)
	p.see("账号已锁定", "分钟后再试")
}

// The headers every page carries, cross-site form posts, and a session
// that has ended.
func TestPagesHeadersAndCSRF(t *testing.T) {
	a := demoApp(t)
	res, err := http.Get(a.srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Content-Security-Policy"); got != web.ContentSecurityPolicy || !strings.Contains(got, "script-src 'self'") || strings.Contains(got, "unsafe-inline") {
		t.Fatalf("CSP = %q", got)
	}
	if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers: %v", res.Header)
	}

	// A form posted from another site is refused before it reaches a handler.
	form := url.Values{"login": {"changan_admin"}, "password": {DemoPassword}}
	req, _ := http.NewRequest("POST", a.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "跨站") {
		t.Fatalf("cross-site login post: %d %s", res.StatusCode, body)
	}
	for _, c := range res.Cookies() {
		if c.Name == web.SessionCookie && c.Value != "" {
			t.Fatal("a cross-site post opened a session")
		}
	}

	// The same form from this site logs in; the cookie is HttpOnly and Lax.
	req, _ = http.NewRequest("POST", a.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.srv.URL)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == web.SessionCookie {
			session = c
		}
	}
	if res.StatusCode != http.StatusSeeOther || session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("same-site login: %d cookie %+v", res.StatusCode, session)
	}

	// A cookie that names no live session goes to the login page, which
	// says the session has ended.
	req, _ = http.NewRequest("GET", a.srv.URL+"/county", nil)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: "expired-or-forged"})
	res, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "expired=1") {
		t.Fatalf("dead session: %d %s", res.StatusCode, loc)
	}
}

// Form fields and query strings of the pages pass the same text boundary
// as the API: a control character is refused with a page that says so.
func TestPagesRefuseControlCharacters(t *testing.T) {
	a := demoApp(t)
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/login", "login=changan%00_admin&password=x"},
		{"POST", "/login", "login=changan_admin&password=%07"},
		{"GET", "/login?next=%00", ""},
	} {
		req, _ := http.NewRequest(tc.method, a.srv.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "不可见") {
			t.Fatalf("%s %s %q: %d %s", tc.method, tc.path, tc.body, res.StatusCode, body)
		}
	}
}
