package httpapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/commands"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/httpapi/sso"
)

// SSOKeys holds the remote-learning signing keys. They live in PostgreSQL
// (table sso_keyset), generated at first use, so every process of the
// service signs with the same key and a restart keeps it; the issuer is
// built once and reused.
type SSOKeys struct {
	Pool   *pgxpool.Pool
	Issuer string // the "iss" claim institutions check
	Now    func() time.Time

	mu     sync.Mutex
	issuer *sso.Issuer
}

// Get returns the issuer, loading or generating the key set on first use.
// Generation races between processes are settled by the single-row table:
// the first insert wins and everyone reads it back.
func (k *SSOKeys) Get(ctx context.Context) (*sso.Issuer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.issuer != nil {
		return k.issuer, nil
	}
	key, err := sso.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	fresh, err := sso.KeySet{Current: key}.MarshalPEM()
	if err != nil {
		return nil, err
	}
	if _, err := k.Pool.Exec(ctx, `INSERT INTO sso_keyset (id, pem) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, fresh); err != nil {
		return nil, fmt.Errorf("sso keys: %w", err)
	}
	var stored []byte
	if err := k.Pool.QueryRow(ctx, `SELECT pem FROM sso_keyset WHERE id = 1`).Scan(&stored); err != nil {
		return nil, fmt.Errorf("sso keys: %w", err)
	}
	set, err := sso.ParseKeySetPEM(stored)
	if err != nil {
		return nil, err
	}
	now := k.Now
	if now == nil {
		now = time.Now
	}
	opts := []sso.Option{}
	if k.Issuer != "" {
		opts = append(opts, sso.WithIssuer(k.Issuer))
	}
	iss, err := sso.NewIssuer(set, now, opts...)
	if err != nil {
		return nil, err
	}
	k.issuer = iss
	return iss, nil
}

// RemoteLearningResponse is what "enter remote learning" returns: the
// platform's address and the assertion to post to it (see docs/SSO.md).
type RemoteLearningResponse struct {
	URL       string    `json:"url"`
	Assertion string    `json:"assertion"`
	ExpiresAt time.Time `json:"expires_at"`
	// LaunchURL carries the assertion in the fragment, which browsers never
	// send to servers or put in logs; the platform's page reads it.
	LaunchURL string `json:"launch_url"`
}

// enterRemoteLearning issues the signed assertion for the teacher's
// enrollment, audience the assigned institution.
func (a *ProjectArea) enterRemoteLearning(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	actor := ActorOf(r)
	e, err := a.Cmd.ViewEnrollment(r.Context(), actor, id)
	if err != nil {
		return err
	}
	if !e.CanEnterRemoteLearning(actor) {
		if actor.Role != access.RoleTeacher {
			return fmt.Errorf("%w: only the enrolled teacher enters remote learning", access.ErrForbidden)
		}
		return &requestError{status: http.StatusConflict, code: "invalid_state", message: "报到后、结业前才能进入远程学习"}
	}
	p, err := a.Cmd.LoadProject(r.Context(), e.ProjectID())
	if err != nil {
		return err
	}
	remote := p.Details().RemoteURL
	if remote == "" {
		return &requestError{status: http.StatusConflict, code: "no_remote_learning", message: "本项目没有远程学习平台"}
	}
	t, err := a.Cmd.LoadTeacher(r.Context(), e.TeacherID())
	if err != nil {
		return err
	}
	iss, err := a.SSO.Get(r.Context())
	if err != nil {
		return err
	}
	asg := e.Assignment()
	tok, err := iss.Issue(sso.Claims{TeacherID: e.TeacherID(), Name: sso.MaskName(t.Profile().Name), EnrollmentID: e.ID(),
		ProjectID: e.ProjectID(), ClassID: asg.ClassID, Audience: asg.InstitutionID.String()})
	if err != nil {
		return err
	}
	claims, err := iss.Verify(tok, asg.InstitutionID.String(), a.SSO.now())
	if err != nil {
		return fmt.Errorf("sso self-check: %w", err)
	}
	u, err := url.Parse(remote)
	if err != nil {
		return fmt.Errorf("remote url: %w", err)
	}
	launch := *u
	launch.Fragment = "assertion=" + tok
	// Entering remote learning hands identity to a third party: audit it.
	pr, _ := Principal(r.Context())
	a.s.audit(r, commands.SecurityEntry{AccountID: pr.AccountID, Login: pr.Login, Role: string(actor.Role),
		Action: ActionRemoteLearningSSO, Success: true, Subject: e.ID().String(), IP: clientIP(r), Detail: "aud " + asg.InstitutionID.String()})
	if wantsHTML(r) {
		// The browser flow of docs/SSO.md: a page that POSTs the assertion
		// to the platform, keeping it out of history, logs and Referer.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.WriteHeader(http.StatusOK)
		return autoPost.Execute(w, struct{ URL, Assertion string }{remote, tok})
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, RemoteLearningResponse{URL: remote, Assertion: tok, ExpiresAt: claims.Expiry, LaunchURL: launch.String()})
	return nil
}

// wantsHTML: a browser form submission (Accept: text/html) gets the
// auto-submitting page, a program the JSON.
func wantsHTML(r *http.Request) bool {
	acc := r.Header.Get("Accept")
	return strings.Contains(acc, "text/html") && !strings.Contains(acc, "application/json")
}

var autoPost = template.Must(template.New("sso").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>正在进入远程学习</title></head>
<body><form method="post" action="{{.URL}}"><input type="hidden" name="assertion" value="{{.Assertion}}">
<noscript><button type="submit">进入远程学习</button></noscript></form>
<script>document.forms[0].submit()</script></body></html>
`))

func (k *SSOKeys) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

// ActionRemoteLearningSSO is the security-audit action of an issued assertion.
const ActionRemoteLearningSSO = "remote_learning_sso"

// jwks publishes the public keys institutions verify assertions with.
func (a *ProjectArea) jwks(w http.ResponseWriter, r *http.Request) error {
	iss, err := a.SSO.Get(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(iss.JWKS())
	return err
}
