package web

import (
	"net/http"

	"ting/internal/access"
	"ting/internal/auth"
)

func (s *Server) routesAccount() {
	s.handle("GET /account", s.page(s.account))
	s.handle("POST /account/password", s.page(s.passwordChange))
	s.handle("POST /account/tokens", s.page(s.tokenCreate))
	s.handle("POST /account/tokens/{id}/revoke", s.page(s.tokenRevoke))
}

type accountData struct {
	Tokens    []auth.Token
	NewSecret string
}

func (s *Server) account(w http.ResponseWriter, r *http.Request, a access.Actor) {
	s.renderAccount(w, r, a, http.StatusOK, "", nil)
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, a access.Actor, status int, secret string, err error) {
	es, err := formErrors(err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	toks, err := s.auth.Tokens(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "account", &Page{Title: reqCtx(r).tr.T("account.title"), Data: accountData{Tokens: toks, NewSecret: secret}, Errors: es})
}

func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	secret, err := s.auth.CreateToken(r.Context(), a, r.PostFormValue("name"))
	if err != nil {
		s.renderAccount(w, r, a, http.StatusUnprocessableEntity, "", err)
		return
	}
	// The secret is shown once, on this response only.
	s.renderAccount(w, r, a, http.StatusCreated, secret, nil)
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, _ := pathID(r, "id")
	if err := s.auth.RevokeToken(r.Context(), a, id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "flash.revoked")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// passwordChange changes the signed-in user's own password. Their other sessions end; this one
// continues under a fresh token.
func (s *Server) passwordChange(w http.ResponseWriter, r *http.Request, a access.Actor) {
	in := auth.PasswordChange{Current: r.PostFormValue("current_password"), New: r.PostFormValue("new_password"),
		Again: r.PostFormValue("new_password_again")}
	if err := s.auth.ChangePassword(r.Context(), a, in, s.sessions.Token(r.Context())); err != nil {
		s.renderAccount(w, r, a, http.StatusUnprocessableEntity, "", err)
		return
	}
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(r, "account.password_changed")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
