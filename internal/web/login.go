package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/beneficiaries"
	"ting/internal/org"
)

func urlEscape(s string) string { return url.QueryEscape(s) }

// safeNext keeps post-login redirects on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if reqCtx(r).actor != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", &Page{Title: reqCtx(r).tr.T("login.title"), Data: loginData{Next: r.URL.Query().Get("next")}})
}

type loginData struct {
	Next     string
	Username string
	Error    string
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	tr := reqCtx(r).tr
	d := loginData{Next: r.PostFormValue("next"), Username: r.PostFormValue("username")}
	u, err := s.auth.Login(r.Context(), d.Username, r.PostFormValue("password"))
	switch {
	case errors.Is(err, auth.ErrLocked):
		d.Error = tr.T("login.locked", "Until", u.LockedUntil.UTC().Format("15:04 UTC"))
	case errors.Is(err, auth.ErrBadCredentials):
		d.Error = tr.T("login.bad")
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	if d.Error != "" {
		s.render(w, r, http.StatusUnauthorized, "login", &Page{Title: tr.T("login.title"), Data: d})
		return
	}
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.sessions.Put(r.Context(), "user_id", u.ID)
	if l := r.PostFormValue("lang"); (l == "zh" || l == "en") && u.Lang == "" {
		s.auth.SetLang(r.Context(), u.ID, l)
	}
	http.Redirect(w, r, safeNext(d.Next), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.sessions.Destroy(r.Context())
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type homeData struct {
	Unit   org.Unit
	Counts []levelCount
	Levels []org.Level
	Drift  *beneficiaries.DriftReport // sites of the unit flagged for target-age drift, for those who see reach
}

type levelCount struct {
	Level org.Level
	N     int
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, a access.Actor) {
	u, err := s.org.Unit(r.Context(), a, a.UnitID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	counts, err := s.org.Counts(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := homeData{Unit: u}
	for _, l := range org.Levels {
		if n := counts[l]; n > 0 {
			d.Counts = append(d.Counts, levelCount{l, n})
		}
	}
	if a.Can(access.ViewReach) {
		rep, err := s.cardsService().Drift(r.Context(), a, beneficiaries.DriftQuery{UnitID: u.ID})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if rep.Flagged > 0 {
			d.Drift = &rep
		}
	}
	s.render(w, r, http.StatusOK, "home", &Page{Title: reqCtx(r).tr.T("home.title"), Data: d})
}
