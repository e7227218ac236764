package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/auth"
	"ting/internal/org"
	"ting/internal/valid"
)

func (s *Server) routesAdmin() {
	s.handle("GET /admin/audit", s.page(s.auditList))
	s.handle("GET /admin/users", s.page(s.userList))
	s.handle("POST /admin/users", s.page(s.userCreate))
	s.handle("GET /admin/users/{id}", s.page(s.userShow))
	s.handle("POST /admin/users/{id}", s.page(s.userUpdate))
	s.handle("POST /admin/users/{id}/password", s.page(s.userResetPassword))
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
	actors := make([]string, len(entries))
	for i, e := range entries {
		actors[i] = e.Actor
	}
	s.nameDemoActors(r.Context(), reqCtx(r).tr, names, actors)
	s.render(w, r, http.StatusOK, "audit", &Page{Title: reqCtx(r).tr.T("audit.title"),
		Data: auditData{Entries: entries, Names: names, Filter: ff, Pager: pg.with(total)}})
}

type usersData struct {
	Users []userRow
	Roles []access.Role
	Units []org.Unit // upper-level units offered as codes while typing; any unit in scope may be typed
	// The list's search, its page, and what the search got wrong.
	Filter       userFilter
	Statuses     []string
	Pager        pager
	FilterErrors valid.Errors
}

// userFilter is the account list's search as the page's query gives it.
type userFilter struct {
	Text, Role, Unit, Status string
}

// userRow is one account as the list shows it.
type userRow struct {
	auth.User
	Locked bool
}

// userUnitLevels are the levels whose units the unit-code field suggests: a handful per
// province, so the list stays short at national scale. Community sites are typed by code.
var userUnitLevels = []org.Level{org.National, org.Provincial, org.Municipal}

// userUnitChoices lists the units of userUnitLevels in the actor's scope.
func (s *Server) userUnitChoices(r *http.Request, a access.Actor) ([]org.Unit, error) {
	var out []org.Unit
	for _, l := range userUnitLevels {
		list, _, err := s.org.Units(r.Context(), a, org.UnitQuery{Level: l, Limit: 1000})
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

func (s *Server) usersData(r *http.Request, a access.Actor) (usersData, error) {
	q := r.URL.Query()
	d := usersData{Roles: access.Roles, Statuses: auth.UserStatuses, Pager: newPager(r, 100),
		Filter: userFilter{Text: strings.TrimSpace(q.Get("q")), Role: q.Get("role"), Unit: strings.TrimSpace(q.Get("unit")), Status: q.Get("status")}}
	users, total, err := s.auth.FindUsers(r.Context(), a, auth.UserQuery{Text: d.Filter.Text, Role: access.Role(d.Filter.Role), UnitCode: d.Filter.Unit,
		Status: d.Filter.Status, Limit: d.Pager.Limit, Offset: d.Pager.Offset})
	if d.FilterErrors, err = formErrors(err); err != nil {
		return usersData{}, err
	}
	d.Pager = d.Pager.with(total)
	now := time.Now()
	for _, u := range users {
		d.Users = append(d.Users, userRow{User: u, Locked: u.LockedAt(now)})
	}
	if d.Units, err = s.userUnitChoices(r, a); err != nil {
		return d, err
	}
	return d, nil
}

func (s *Server) userList(w http.ResponseWriter, r *http.Request, a access.Actor) {
	d, err := s.usersData(r, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if len(d.FilterErrors) > 0 {
		status = http.StatusBadRequest
	}
	s.render(w, r, status, "admin_users", &Page{Title: reqCtx(r).tr.T("users.title"), Data: d})
}

// formPartner reads the optional partner number: blank is none; anything but a whole number is
// an error naming the field, never silently dropped.
func formPartner(r *http.Request, es *valid.Errors) int64 {
	v := strings.TrimSpace(r.PostFormValue("partner_id"))
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		es.Add("partner_id", "user_whole_number")
		return 0
	}
	return n
}

// formUnit reads the unit an account is bound to: its code, or (from older forms and clients)
// its id.
func formUnit(r *http.Request) (id int64, code string) {
	return formInt(r, "unit_id"), strings.TrimSpace(r.PostFormValue("unit_code"))
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	r.ParseForm()
	var parse valid.Errors
	unitID, unitCode := formUnit(r)
	in := auth.UserInput{
		Username: r.PostFormValue("username"), DisplayName: r.PostFormValue("display_name"), Password: r.PostFormValue("password"),
		Role: access.Role(r.PostFormValue("role")), UnitID: unitID, UnitCode: unitCode, PartnerID: formPartner(r, &parse), Lang: r.PostFormValue("lang"),
	}
	var err error
	if parse.Err() != nil {
		// The service would check nothing it cannot read; say every other broken rule too.
		if err = a.Require(access.ManageUsers); err == nil {
			err = append(parse, auth.CheckUserInput(in)...)
		}
	} else {
		_, err = s.auth.CreateUser(r.Context(), a, in)
	}
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
	s.render(w, r, http.StatusUnprocessableEntity, "admin_users", &Page{Title: reqCtx(r).tr.T("users.title"), Data: d, Errors: es, Form: r.PostForm})
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
	s.render(w, r, http.StatusUnprocessableEntity, "admin_users", &Page{Title: reqCtx(r).tr.T("users.title"), Data: d, Errors: es})
}

// userData is one account's page: its edit form and its password reset.
type userData struct {
	User        auth.User
	Locked      bool
	Roles       []access.Role
	Units       []org.Unit
	NewPassword string // a generated password, shown on this response only
}

// userPage builds the page of account id as the actor may see it; accounts outside the
// actor's subtree are not found.
func (s *Server) userPage(r *http.Request, a access.Actor, id int64) (*Page, error) {
	u, err := s.auth.User(r.Context(), a, id)
	if err != nil {
		return nil, err
	}
	units, err := s.userUnitChoices(r, a)
	if err != nil {
		return nil, err
	}
	return &Page{Title: reqCtx(r).tr.T("users.edit_title", "Username", u.Username),
		Data: userData{User: u, Locked: u.LockedAt(time.Now()), Roles: access.Roles, Units: units}}, nil
}

func (s *Server) userShow(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p, err := s.userPage(r, a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_user", p)
}

func (s *Server) userUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	s.recordForm(w, r, func(id int64) (string, error) {
		var parse valid.Errors
		unitID, unitCode := formUnit(r)
		in := auth.UserEdit{DisplayName: r.PostFormValue("display_name"), Role: access.Role(r.PostFormValue("role")),
			UnitID: unitID, UnitCode: unitCode, PartnerID: formPartner(r, &parse), Active: r.PostFormValue("active") == "1"}
		if parse.Err() != nil {
			// Scope first: a user outside it is not found, whatever the form holds.
			if _, err := s.auth.User(r.Context(), a, id); err != nil {
				return "", err
			}
			return "", append(parse, auth.CheckUserEdit(in)...)
		}
		_, err := s.auth.UpdateUser(r.Context(), a, id, in)
		return "/admin/users/" + strconv.FormatInt(id, 10), err
	}, func(id int64, es valid.Errors) (string, *Page, error) {
		p, err := s.userPage(r, a, id)
		if err != nil {
			return "", nil, err
		}
		p.Form = r.PostForm
		return "admin_user", p, nil
	})
}

// userResetPassword sets the password an administrator typed, or generates one and shows it
// once; either way the lock-out is lifted and the user's sessions end.
func (s *Server) userResetPassword(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	r.ParseForm()
	generate := r.PostFormValue("mode") == "generate"
	typed := r.PostFormValue("new_password")
	var err error
	var pw string
	if !generate && typed == "" {
		if _, err = s.auth.User(r.Context(), a, id); err == nil {
			err = valid.New("new_password", "required")
		}
	} else {
		if generate {
			typed = ""
		}
		pw, err = s.auth.ResetUserPassword(r.Context(), a, id, typed)
	}
	if err == nil && !generate {
		s.flash(r, "users.password_reset")
		http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.userPage(r, a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusUnprocessableEntity
	if es == nil {
		// The generated password is in this response only: no cache may keep it.
		noStore(w)
		d := p.Data.(userData)
		d.NewPassword = pw
		p.Data, status = d, http.StatusOK
	}
	p.Errors = es
	s.render(w, r, status, "admin_user", p)
}
