package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hbte/record/commands"
)

type loginData struct {
	Login string
	Next  string
	// Info is a notice above the form (session expired, logged out).
	Info string
}

func (k *Kit) loginPage(w http.ResponseWriter, r *http.Request) {
	if s, ok := sessionOf(r); ok {
		http.Redirect(w, r, Home(s.p.Role), http.StatusSeeOther)
		return
	}
	d := loginData{Next: safeNext(r.URL.Query().Get("next"))}
	switch {
	case r.URL.Query().Get("expired") != "":
		d.Info = "登录已过期，请重新登录。"
	case r.URL.Query().Get("bye") != "":
		d.Info = "您已安全退出。"
	}
	k.core.Render(w, r, http.StatusOK, "login", Page{Title: "登录", Data: d})
}

func (k *Kit) renderLogin(w http.ResponseWriter, r *http.Request, status int, login, msg string) {
	k.core.Render(w, r, status, "login", Page{Title: "登录", Error: msg,
		Data: loginData{Login: login, Next: safeNext(r.PostFormValue("next"))}})
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	return next
}

func (k *Kit) login(w http.ResponseWriter, r *http.Request) {
	login, password := r.PostFormValue("login"), r.PostFormValue("password")
	p, tok, exp, err := k.API.Login(r, login, password)
	if err != nil {
		var locked *commands.LockedError
		status, msg, _, ok := Refused(err)
		switch {
		case errors.As(err, &locked):
			mins := int(time.Until(locked.Until).Minutes()) + 1
			msg = "登录失败次数过多，账号已锁定，请 " + strconv.Itoa(mins) + " 分钟后再试，或请区县管理员重置密码。"
		case errors.Is(err, commands.ErrBadCredentials):
			msg = "用户名或密码错误。教师请用身份证号登录，初始密码为身份证号后六位。"
		case !ok:
			if status < 500 {
				msg = "账号不可用，请联系管理员。"
			} else {
				k.Fail(w, r, err)
				return
			}
		}
		k.renderLogin(w, r, status, login, msg)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: tok, Path: "/", Expires: exp,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	to := Home(p.Role)
	if p.MustChangePassword {
		to = "/password"
	} else if n := safeNext(r.PostFormValue("next")); n != "" {
		to = n
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (k *Kit) logout(w http.ResponseWriter, r *http.Request) {
	s, _ := sessionOf(r)
	if err := k.API.Logout(r, s.p, s.token); err != nil {
		k.Fail(w, r, err)
		return
	}
	clearCookie(w, SessionCookie)
	http.Redirect(w, r, "/login?bye=1", http.StatusSeeOther)
}

type passwordData struct {
	First bool
}

func (k *Kit) passwordPage(w http.ResponseWriter, r *http.Request) {
	k.core.Render(w, r, http.StatusOK, "password", Page{Title: "修改密码", Data: passwordData{First: Principal(r).MustChangePassword}})
}

func (k *Kit) changePassword(w http.ResponseWriter, r *http.Request) {
	s, _ := sessionOf(r)
	page := Page{Title: "修改密码", Data: passwordData{First: s.p.MustChangePassword}}
	oldPw, newPw := r.PostFormValue("old_password"), r.PostFormValue("new_password")
	if newPw != r.PostFormValue("confirm_password") {
		page.Error = "两次输入的新密码不一致"
		page.Fields = map[string]string{"confirm_password": "与新密码不一致"}
		k.core.Render(w, r, http.StatusUnprocessableEntity, "password", page)
		return
	}
	res, err := k.API.ChangePassword(r, s.p, s.token, oldPw, newPw)
	if err != nil {
		if errors.Is(err, commands.ErrBadCredentials) {
			page.Error = "原密码不正确"
			page.Fields = map[string]string{"old_password": "原密码不正确"}
			k.core.Render(w, r, http.StatusUnprocessableEntity, "password", page)
			return
		}
		page.Form = nil // never echo passwords back
		k.core.Form(w, r, "password", page, err)
		return
	}
	k.Done(w, r, res.Position, Home(s.p.Role), "密码已修改。")
}
