package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser stories drive Debian's Chromium, headless, through chromedp:
// one browser per test binary, a fresh browser context (its own cookies)
// per user, so two users of one story are two people at two computers.

var chrome struct {
	once   sync.Once
	ctx    context.Context
	cancel []context.CancelFunc
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(chrome.cancel) - 1; i >= 0; i-- {
		chrome.cancel[i]()
	}
	os.Exit(code)
}

func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium on PATH: make test installs it (scripts/ensure-tools.sh)")
}

func browserContext(t *testing.T) context.Context {
	t.Helper()
	chrome.once.Do(func() {
		path, err := chromiumPath()
		if err != nil {
			chrome.err = err
			return
		}
		dir, err := os.MkdirTemp("", "record-chromium-")
		if err != nil {
			chrome.err = err
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path), chromedp.UserDataDir(dir),
			chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
			chromedp.Flag("no-first-run", true), chromedp.Flag("no-default-browser-check", true),
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-extensions", true), chromedp.Flag("mute-audio", true),
			chromedp.Flag("lang", "zh-CN"), chromedp.WindowSize(1280, 900),
		}
		actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, bcancel := chromedp.NewContext(actx)
		chrome.cancel = append(chrome.cancel, acancel, bcancel, func() { os.RemoveAll(dir) })
		if err := chromedp.Do(bctx); err != nil { // starts the browser
			chrome.err = fmt.Errorf("start chromium: %w", err)
			return
		}
		chrome.ctx = bctx
	})
	if chrome.err != nil {
		t.Fatalf("browser: %v", chrome.err)
	}
	return chrome.ctx
}

// person is one user at their own browser.
type person struct {
	t    *testing.T
	a    *app
	ctx  context.Context
	name string
}

// newPerson opens a fresh browser context (no cookies) on the app.
func (a *app) newPerson(name string) *person {
	a.t.Helper()
	ctx, cancel := chromedp.NewContext(browserContext(a.t), chromedp.WithNewBrowserContext())
	a.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		a.t.Fatalf("%s: new browser context: %v", name, err)
	}
	return &person{t: a.t, a: a, ctx: ctx, name: name}
}

const stepTimeout = 20 * time.Second

func (p *person) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fatalf("%s: %v", what, err)
	}
}

func eval[T any](p *person, js string) T {
	p.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
		cancel()
		if err == nil {
			return v
		}
		// A page that is navigating has no document to evaluate in for a
		// moment ("Inspected target navigated or closed", a destroyed
		// execution context): ask again once the next page is there.
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "navigated") && !strings.Contains(err.Error(), "context") {
			p.fatalf("evaluate %s: %v", js, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *person) fatalf(format string, args ...any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	url, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if len(text) > 3000 {
		text = text[:3000] + "…"
	}
	p.t.Fatalf("%s: "+format+"\n  at %s\n  page text:\n%s", append(append([]any{p.name}, args...), url, text)...)
}

// open goes to a path of the app and waits for the page.
func (p *person) open(path string) {
	p.t.Helper()
	p.do("open "+path, chromedp.Navigate(p.a.srv.URL+path))
	p.waitLoaded()
}

func (p *person) waitLoaded() {
	p.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		if eval[bool](p, `document.readyState === "complete" && !window.__storyOld`) {
			return
		}
		time.Sleep(30 * time.Millisecond)
	}
	p.fatalf("page did not load")
}

// js finds a form control by the text of its label (exactly, after
// trimming spaces and a trailing "*"), optionally inside the section,
// form or table row that contains scope text.
const findByLabel = `(function(label, scope){
  const norm = s => s.replace(/\s+/g, " ").trim().replace(/\s*\*$/, "");
  let root = document;
  if (scope) {
    const boxes = [...document.querySelectorAll("form, section, tr, fieldset, article, li, div.card")]
      .filter(e => e.innerText.includes(scope));
    if (!boxes.length) return "";
    root = boxes.reduce((a, b) => a.innerText.length <= b.innerText.length ? a : b);
  }
  for (const l of root.querySelectorAll("label")) {
    if (norm(l.innerText) === label && l.control) {
      if (!l.control.id) l.control.id = "story-" + Math.random().toString(36).slice(2);
      return l.control.id;
    }
  }
  const el = root.querySelector('[aria-label="' + label + '"]');
  if (el) { if (!el.id) el.id = "story-" + Math.random().toString(36).slice(2); return el.id; }
  return "";
})`

func (p *person) control(label, scope string) chromedp.ID {
	p.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		id := eval[string](p, fmt.Sprintf("%s(%q, %q)", findByLabel, label, scope))
		if id != "" {
			return chromedp.ID(id)
		}
		if time.Now().After(deadline) {
			p.fatalf("no field labelled %q (scope %q)", label, scope)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fill types value into the field with this label, replacing what is there.
func (p *person) fill(label, value string) { p.t.Helper(); p.fillIn("", label, value) }

// fillIn is fill inside the form, section or row that contains scope.
func (p *person) fillIn(scope, label, value string) {
	p.t.Helper()
	id := p.control(label, scope)
	tag := eval[string](p, fmt.Sprintf(`document.getElementById(%q).tagName + ":" + (document.getElementById(%q).type||"")`, string(id), string(id)))
	switch {
	case strings.HasPrefix(tag, "SELECT"):
		// choose the option by its visible text or its value
		ok := eval[bool](p, fmt.Sprintf(`(function(){const s=document.getElementById(%q);for(const o of s.options){if(o.text.trim()===%q||o.value===%q){s.value=o.value;s.dispatchEvent(new Event("change",{bubbles:true}));return true}}return false})()`, string(id), value, value))
		if !ok {
			p.fatalf("select %q has no option %q", label, value)
		}
	case strings.HasSuffix(tag, ":date") || strings.HasSuffix(tag, ":month"):
		p.do("set "+label, chromedp.SetValue(id, value))
	default:
		// Empty the field, focus it and type: key events to the focused
		// element, as a keyboard does. (chromedp's SendKeys reads the
		// node's attributes without its lock while the page's attribute
		// events update them, a data race under -race; Clear needs a text
		// node an empty textarea lacks.)
		eval[bool](p, fmt.Sprintf(`(document.getElementById(%q).value = "", true)`, string(id)))
		p.do("fill "+label, chromedp.Focus(id), chromedp.KeyEvent(value))
	}
}

// upload sets the file of a file input found by its label.
func (p *person) upload(label, path string) {
	p.t.Helper()
	id := p.control(label, "")
	p.do("upload "+label, chromedp.SetUploadFiles(id, []string{path}))
}

// check ticks a checkbox found by its label.
func (p *person) check(label string) {
	p.t.Helper()
	id := p.control(label, "")
	if !eval[bool](p, fmt.Sprintf(`document.getElementById(%q).checked`, string(id))) {
		p.do("check "+label, chromedp.Click(id))
	}
}

// markClickable finds a button, link or submit input by its visible text
// (exactly, after trimming), optionally inside the form, section or table
// row that contains scope, and marks it for a real mouse click.
const markClickable = `(function(text, scope){
  const norm = s => (s||"").replace(/\s+/g, " ").trim();
  let roots = [document];
  if (scope) {
    roots = [...document.querySelectorAll("form, section, tr, fieldset, article, li, div.card")]
      .filter(e => e.innerText.includes(scope))
      .sort((a, b) => a.innerText.length - b.innerText.length);
    if (!roots.length) return false;
  }
  for (const root of roots) {
    for (const el of root.querySelectorAll("button, a, input[type=submit], summary, [role=button]")) {
      const t = el.tagName === "INPUT" ? el.value : el.innerText;
      if (norm(t) === text || el.getAttribute("aria-label") === text) {
        document.querySelectorAll("[data-story-click]").forEach(e => e.removeAttribute("data-story-click"));
        el.setAttribute("data-story-click", "1");
        el.scrollIntoView({block: "center"});
        return true;
      }
    }
  }
  return false;
})`

// click clicks the button or link with this text; when it loads a new
// page, click waits for it.
func (p *person) click(text string) { p.t.Helper(); p.clickIn("", text) }

// clickIn is click inside the form, section or row that contains scope.
func (p *person) clickIn(scope, text string) {
	p.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for !eval[bool](p, fmt.Sprintf("%s(%q, %q)", markClickable, text, scope)) {
		if time.Now().After(deadline) {
			p.fatalf("nothing to click labelled %q (scope %q)", text, scope)
		}
		time.Sleep(50 * time.Millisecond)
	}
	eval[bool](p, `window.__storyOld = true`)
	p.do("click "+text, chromedp.Click(chromedp.CSS(`[data-story-click="1"]`)))
	// A click that navigates replaces the document (and its marker); one
	// that does not (a <details> summary) leaves it: wait briefly for
	// either.
	deadline = time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		nav := eval[bool](p, `!window.__storyOld && document.readyState === "complete"`)
		if nav {
			return
		}
		if eval[bool](p, `!!document.querySelector('[data-story-click="1"]') && (document.querySelector('[data-story-click="1"]').tagName === "SUMMARY")`) {
			eval[bool](p, `delete window.__storyOld; true`)
			return
		}
		time.Sleep(40 * time.Millisecond)
	}
	p.fatalf("clicking %q loaded no page", text)
}

// see waits until the page shows text.
func (p *person) see(texts ...string) {
	p.t.Helper()
	for _, text := range texts {
		deadline := time.Now().Add(stepTimeout)
		for !eval[bool](p, fmt.Sprintf(`document.body && document.body.innerText.includes(%q)`, text)) {
			if time.Now().After(deadline) {
				p.fatalf("the page does not show %q", text)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// notSee checks the page (already loaded) does not show text.
func (p *person) notSee(text string) {
	p.t.Helper()
	if eval[bool](p, fmt.Sprintf(`document.body.innerText.includes(%q)`, text)) {
		p.fatalf("the page shows %q", text)
	}
}

// seeIn waits until the form, section or row that contains scope shows text.
func (p *person) seeIn(scope, text string) {
	p.t.Helper()
	js := fmt.Sprintf(`[...document.querySelectorAll("form, section, tr, fieldset, article, li, div.card")].some(e => e.innerText.includes(%q) && e.innerText.includes(%q))`, scope, text)
	deadline := time.Now().Add(stepTimeout)
	for !eval[bool](p, js) {
		if time.Now().After(deadline) {
			p.fatalf("no part of the page shows %q with %q", scope, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// path is the path of the current page.
func (p *person) path() string {
	return eval[string](p, `location.pathname + location.search`)
}

// download fetches the target of the link with this text with the
// browser's own session, as a click would, and returns the content type
// and the bytes.
func (p *person) download(text string) (string, []byte) {
	p.t.Helper()
	if !eval[bool](p, fmt.Sprintf("%s(%q, %q)", markClickable, text, "")) {
		p.fatalf("no link %q", text)
	}
	js := `(async function(){
	  const el = document.querySelector('[data-story-click="1"]');
	  let res;
	  if (el.tagName === "A") { res = await fetch(el.href, {credentials: "same-origin"}); }
	  else { const f = el.form; res = await fetch(f.action, {method: f.method || "POST", body: new FormData(f), credentials: "same-origin"}); }
	  const buf = new Uint8Array(await res.arrayBuffer());
	  let bin = ""; for (let i = 0; i < buf.length; i += 8192) bin += String.fromCharCode.apply(null, buf.subarray(i, i + 8192));
	  return res.status + "|" + (res.headers.get("Content-Type") || "") + "|" + btoa(bin);
	})()`
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fatalf("download %q: %v", text, err)
	}
	parts := strings.SplitN(out, "|", 3)
	if len(parts) != 3 || parts[0] != "200" {
		p.fatalf("download %q: status %s", text, parts[0])
	}
	body, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		p.fatalf("download %q: %v", text, err)
	}
	return parts[1], body
}

// shot saves a full-page screenshot to docs/screenshots/NAME.png when
// SCREENSHOTS=1 (make screenshots), for the docs and for a person to look at.
func (p *person) shot(name string) {
	p.t.Helper()
	if os.Getenv("SCREENSHOTS") == "" {
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		p.fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// login logs in through the login page. It does not change a first
// password: the story does that, as the user would.
func (p *person) login(login, password string) {
	p.t.Helper()
	p.open("/login")
	p.fill("用户名或身份证号", login)
	p.fill("密码", password)
	p.click("登录")
}

// loginChanged logs in and, if asked to, sets a new password first.
func (p *person) loginChanged(login, password, newPassword string) {
	p.t.Helper()
	p.login(login, password)
	if strings.HasPrefix(p.path(), "/password") {
		p.fill("原密码", password)
		p.fill("新密码", newPassword)
		p.fill("再次输入新密码", newPassword)
		p.click("保存新密码")
		p.see("密码已修改")
	}
}
