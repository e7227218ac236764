package web

import (
	"net/http"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/auth"
	"ting/internal/org"
)

func (s *Server) routesAdmin() {
	s.handle("GET /admin/audit", s.page(s.auditList))
	s.handle("GET /admin/users", s.page(s.userList))
	s.handle("POST /admin/users", s.page(s.userCreate))
	s.handle("POST /admin/users/{id}/active", s.page(s.userSetActive))
}

type auditData struct {
	Entries []audit.Entry
	Names   map[string]string // public id -> username, for display only
	Filter  auditFilterForm
	Pager   pager
}

type auditFilterForm struct {
	Actor, Entity, Action, From, To string
	EntityID                        int64
}

func (s *Server) auditList(w http.ResponseWriter, r *http.Request, a access.Actor) {
	q := r.URL.Query()
	pg := newPager(r, 50)
	ff := auditFilterForm{Actor: q.Get("actor"), Entity: q.Get("entity"), Action: q.Get("action"), From: q.Get("from"), To: q.Get("to"), EntityID: queryInt(r, "entity_id")}
	f := audit.Filter{Entity: ff.Entity, Action: ff.Action, EntityID: ff.EntityID, Limit: pg.Limit, Offset: pg.Offset}
	if t, err := time.Parse(time.DateOnly, ff.From); err == nil {
		f.From = t
	}
	if t, err := time.Parse(time.DateOnly, ff.To); err == nil {
		f.To = t.AddDate(0, 0, 1)
	}
	// The filter accepts a username; the log holds only opaque ids.
	names := map[string]string{"system": "system"}
	if a.Can(access.ManageUsers) {
		users, err := s.auth.Users(r.Context(), a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, u := range users {
			names[u.PublicID] = u.Username
			if ff.Actor != "" && strings.EqualFold(u.Username, ff.Actor) {
				f.Actor = u.PublicID
			}
		}
	}
	if ff.Actor != "" && f.Actor == "" {
		f.Actor = ff.Actor
	}
	entries, total, err := audit.List(r.Context(), s.db, a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", &Page{Title: reqCtx(r).tr.T("audit.title"),
		Data: auditData{Entries: entries, Names: names, Filter: ff, Pager: pg.with(total)}})
}

type usersData struct {
	Users []auth.User
	Units map[int64]org.Unit
	Roles []access.Role
	Scope []org.Unit
}

func (s *Server) usersData(r *http.Request, a access.Actor) (usersData, error) {
	users, err := s.auth.Users(r.Context(), a)
	if err != nil {
		return usersData{}, err
	}
	d := usersData{Users: users, Units: map[int64]org.Unit{}, Roles: access.Roles}
	for _, u := range users {
		if _, ok := d.Units[u.UnitID]; !ok {
			if unit, err := s.org.Unit(r.Context(), a, u.UnitID); err == nil {
				d.Units[u.UnitID] = unit
			}
		}
	}
	// Accounts are bound to units down to county level.
	for _, l := range []org.Level{org.National, org.Provincial, org.Municipal, org.County} {
		list, _, err := s.org.Units(r.Context(), a, org.UnitQuery{Level: l, Limit: 1000})
		if err != nil {
			return d, err
		}
		d.Scope = append(d.Scope, list...)
	}
	return d, nil
}

func (s *Server) userList(w http.ResponseWriter, r *http.Request, a access.Actor) {
	d, err := s.usersData(r, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "users", &Page{Title: reqCtx(r).tr.T("users.title"), Data: d})
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	r.ParseForm()
	in := auth.UserInput{
		Username: r.PostFormValue("username"), DisplayName: r.PostFormValue("display_name"), Password: r.PostFormValue("password"),
		Role: access.Role(r.PostFormValue("role")), UnitID: formInt(r, "unit_id"), PartnerID: formInt(r, "partner_id"), Lang: r.PostFormValue("lang"),
	}
	_, err := s.auth.CreateUser(r.Context(), a, in)
	if err == nil {
		s.flash(r, "flash.saved")
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, derr := s.usersData(r, a)
	if derr != nil {
		s.fail(w, r, derr)
		return
	}
	r.PostForm.Del("password")
	s.render(w, r, http.StatusUnprocessableEntity, "users", &Page{Title: reqCtx(r).tr.T("users.title"), Data: d, Errors: es, Form: r.PostForm})
}

func (s *Server) userSetActive(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, _ := pathID(r, "id")
	err := s.auth.SetActive(r.Context(), a, id, r.PostFormValue("active") == "1")
	if err == nil {
		s.flash(r, "flash.saved")
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, derr := s.usersData(r, a)
	if derr != nil {
		s.fail(w, r, derr)
		return
	}
	s.render(w, r, http.StatusUnprocessableEntity, "users", &Page{Title: reqCtx(r).tr.T("users.title"), Data: d, Errors: es})
}
