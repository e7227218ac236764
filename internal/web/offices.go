package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/valid"
)

// routesOffices registers the project-office pages (staff positions, turnover).
func (s *Server) routesOffices() {
	s.handle("GET /offices/new", s.page(s.officeNew))
	s.handle("POST /offices", s.page(s.officeCreate))
	s.handle("GET /offices/{id}", s.page(s.officeShow))
	s.handle("POST /offices/{id}/positions", s.page(s.positionAdd))
	s.handle("POST /positions/{id}", s.page(s.positionUpdate))
}

// turnoverPeriod reads ?from=&to=. An absent start is the earliest start of any position (the
// office's whole history), an absent end is today.
func turnoverPeriod(q url.Values, ps []org.Position, today string) (from, to string, es valid.Errors) {
	from, to = q.Get("from"), q.Get("to")
	if from == "" {
		from = today
		for _, p := range ps {
			if p.StartOn < from {
				from = p.StartOn
			}
		}
	}
	if to == "" {
		to = today
	}
	if es.Date("from", from) && es.Date("to", to) && to < from {
		es.Add("to", "not_before", from)
	}
	return from, to, es
}

// totalDepartures totals the departures of every title.
func totalDepartures(ts []org.TitleTurnover) int {
	n := 0
	for _, t := range ts {
		n += t.Departures
	}
	return n
}

// ---- office pages ----

type officeFormData struct {
	Unit  org.Unit
	Kinds []string
}

func (s *Server) officeNew(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.EditOffices); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.org.Unit(r.Context(), a, queryInt(r, "unit"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "office_form", &Page{Title: reqCtx(r).tr.T("offices.new"), Data: officeFormData{Unit: u, Kinds: org.OfficeKinds}})
}

func (s *Server) officeCreate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	r.ParseForm()
	in := org.OfficeInput{UnitID: formInt(r, "unit_id"), Kind: r.PostFormValue("kind"), NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en")}
	o, err := s.org.CreateOffice(r.Context(), a, in)
	if err == nil {
		s.flash(r, "flash.saved")
		http.Redirect(w, r, "/offices/"+itoa(o.ID), http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, uerr := s.org.Unit(r.Context(), a, in.UnitID)
	if uerr != nil {
		s.fail(w, r, uerr)
		return
	}
	s.render(w, r, http.StatusUnprocessableEntity, "office_form", &Page{Title: reqCtx(r).tr.T("offices.new"),
		Data: officeFormData{Unit: u, Kinds: org.OfficeKinds}, Errors: es, Form: r.PostForm})
}

// titleStaff is everyone who has held one title at the office.
type titleStaff struct {
	Title     string
	Positions []org.Position
}

type officeShowData struct {
	Office     org.Office
	Unit       org.Unit
	Staff      []titleStaff
	Turnover   []org.TitleTurnover
	Departures int
	From, To   string
	Titles     []string
	Today      string
	F          multiForm // the add and change forms
	Period     multiForm // the turnover period
}

// PositionArgs carries the page into the shared position fields.
type positionArgs struct {
	P       *Page
	D       officeShowData
	Form    string
	Pos     org.Position
	StartOn string
}

func (d officeShowData) NewPositionArgs(p *Page) positionArgs {
	return positionArgs{P: p, D: d, Form: "position", StartOn: d.Today}
}

func (d officeShowData) PositionArgs(p *Page, pos org.Position) positionArgs {
	return positionArgs{P: p, D: d, Form: "position-" + itoa(pos.ID), Pos: pos, StartOn: pos.StartOn}
}

func (s *Server) officeShowData(r *http.Request, a access.Actor, id int64) (officeShowData, valid.Errors, error) {
	ctx := r.Context()
	o, err := s.org.Office(ctx, a, id)
	if err != nil {
		return officeShowData{}, nil, err
	}
	d := officeShowData{Office: o, Titles: org.StaffTitles, Today: s.dateToday()}
	if d.Unit, err = s.org.Unit(ctx, a, o.UnitID); err != nil {
		return d, nil, err
	}
	ps, err := s.org.Staff(ctx, a, id)
	if err != nil {
		return d, nil, err
	}
	for _, p := range ps {
		if n := len(d.Staff); n > 0 && d.Staff[n-1].Title == p.Title {
			d.Staff[n-1].Positions = append(d.Staff[n-1].Positions, p)
		} else {
			d.Staff = append(d.Staff, titleStaff{Title: p.Title, Positions: []org.Position{p}})
		}
	}
	var es valid.Errors
	d.From, d.To, es = turnoverPeriod(r.URL.Query(), ps, d.Today)
	if len(es) == 0 {
		d.Turnover = org.Turnover(ps, d.From, d.To)
		d.Departures = totalDepartures(d.Turnover)
	}
	d.Period = multiForm{Name: "period", Values: r.URL.Query(), errs: es, tr: reqCtx(r).tr}
	return d, es, nil
}

func (s *Server) officeShow(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	d, es, err := s.officeShowData(r, a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if len(es) > 0 {
		status = http.StatusBadRequest
	}
	s.render(w, r, status, "office_show", &Page{Title: d.Office.Name(reqCtx(r).tr.Lang), Data: d, Errors: es})
}

func positionInputFromForm(r *http.Request) org.PositionInput {
	return org.PositionInput{Title: r.PostFormValue("title"), Holder: r.PostFormValue("holder"), FundedBy: r.PostFormValue("funded_by"),
		StartOn: r.PostFormValue("start_on"), EndOn: r.PostFormValue("end_on"), Note: r.PostFormValue("note")}
}

// officeChange runs one of the office page's forms: success returns to the page, a broken
// rule re-renders it with the messages by the submitted form's fields.
func (s *Server) officeChange(w http.ResponseWriter, r *http.Request, a access.Actor, officeID int64, form string, err error) {
	if err == nil {
		s.flash(r, "flash.saved")
		http.Redirect(w, r, "/offices/"+itoa(officeID)+"#staff", http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, _, derr := s.officeShowData(r, a, officeID)
	if derr != nil {
		s.fail(w, r, derr)
		return
	}
	d.F = newMultiForm(r, form, es)
	s.render(w, r, http.StatusUnprocessableEntity, "office_show", &Page{Title: d.Office.Name(reqCtx(r).tr.Lang), Data: d, Errors: es})
}

func (s *Server) positionAdd(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	r.ParseForm()
	_, err := s.org.AddPosition(r.Context(), a, id, positionInputFromForm(r))
	s.officeChange(w, r, a, id, "position", err)
}

// positionUpdate edits a position or records its holder's departure. The form names its
// office so that a refused change can be shown on the office page it came from.
func (s *Server) positionUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	r.ParseForm()
	officeID := formInt(r, "office_id")
	ps, err := s.org.Staff(r.Context(), a, officeID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !slices.ContainsFunc(ps, func(p org.Position) bool { return p.ID == id }) {
		s.fail(w, r, fmt.Errorf("position %d of office %d: %w", id, officeID, store.ErrNotFound))
		return
	}
	_, err = s.org.UpdatePosition(r.Context(), a, id, positionInputFromForm(r))
	s.officeChange(w, r, a, officeID, "position-"+itoa(id), err)
}

// ---- JSON API ----

// routesAPIOffices registers the office endpoints of the JSON API.
func (s *Server) routesAPIOffices() {
	s.handle("GET /api/v1/units/{id}/offices", apiListOf(s, s.org.Offices))
	s.handle("POST /api/v1/offices", apiCreate(s, s.org.CreateOffice))
	s.handle("GET /api/v1/offices/{id}", apiGet(s, s.org.Office))
	s.handle("GET /api/v1/offices/{id}/positions", apiListOf(s, s.org.Staff))
	s.handle("POST /api/v1/offices/{id}/positions", apiCreateUnder(s, s.org.AddPosition))
	s.handle("PATCH /api/v1/positions/{id}", s.api(s.apiPositionUpdate))
	s.handle("GET /api/v1/offices/{id}/turnover", s.api(s.apiTurnover))
}

func (s *Server) apiPositionUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	cur, err := s.org.Position(r.Context(), a, id)
	if err != nil {
		return err
	}
	// PATCH: absent fields keep their current values.
	in := org.PositionInput{Title: cur.Title, Holder: cur.Holder, FundedBy: cur.FundedBy, StartOn: cur.StartOn, EndOn: cur.EndOn, Note: cur.Note}
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.org.UpdatePosition(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// turnoverBody is an office's turnover over a period, per title, with the total departures.
type turnoverBody struct {
	OfficeID   int64               `json:"office_id"`
	From       string              `json:"from"`
	To         string              `json:"to"`
	Departures int                 `json:"departures"`
	Items      []org.TitleTurnover `json:"items"`
}

func (s *Server) apiTurnover(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	ps, err := s.org.Staff(r.Context(), a, id)
	if err != nil {
		return err
	}
	from, to, es := turnoverPeriod(r.URL.Query(), ps, s.dateToday())
	if err := es.Err(); err != nil {
		return err
	}
	ts := org.Turnover(ps, from, to)
	if ts == nil {
		ts = []org.TitleTurnover{}
	}
	writeJSON(w, http.StatusOK, turnoverBody{OfficeID: id, From: from, To: to, Departures: totalDepartures(ts), Items: ts})
	return nil
}
