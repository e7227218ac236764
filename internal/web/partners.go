package web

import (
	"net/http"

	"ting/internal/access"
	"ting/internal/org"
)

func (s *Server) routesPartners() {
	s.handle("GET /partners", s.page(s.partnerList))
	s.handle("GET /partners/new", s.page(s.partnerNew))
	s.handle("POST /partners", s.page(s.partnerCreate))
	s.handle("GET /partners/{id}", s.page(s.partnerShow))
	s.handle("GET /partners/{id}/edit", s.page(s.partnerEdit))
	s.handle("POST /partners/{id}", s.page(s.partnerUpdate))
}

type partnerListData struct {
	Partners []org.Partner
	Units    map[int64]org.Unit
	Types    []string
	Type     string
	Search   string
	Pager    pager
}

func (s *Server) partnerList(w http.ResponseWriter, r *http.Request, a access.Actor) {
	q := r.URL.Query()
	pg := newPager(r, 50)
	d := partnerListData{Types: org.PartnerTypes, Type: q.Get("type"), Search: q.Get("q")}
	list, total, err := s.org.Partners(r.Context(), a, org.PartnerQuery{Type: d.Type, Search: d.Search, Limit: pg.Limit, Offset: pg.Offset})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Partners = list
	d.Pager = pg.with(total)
	if d.Units, err = s.unitsOf(r, a, list); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "partner_list", &Page{Title: reqCtx(r).tr.T("partners.title"), Data: d})
}

func (s *Server) unitsOf(r *http.Request, a access.Actor, ps []org.Partner) (map[int64]org.Unit, error) {
	out := map[int64]org.Unit{}
	for _, p := range ps {
		if _, ok := out[p.UnitID]; ok {
			continue
		}
		u, err := s.org.Unit(r.Context(), a, p.UnitID)
		if err != nil {
			return nil, err
		}
		out[p.UnitID] = u
	}
	return out, nil
}

type partnerShowData struct {
	Partner org.Partner
	Unit    org.Unit
}

func (s *Server) partnerShow(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, _ := pathID(r, "id")
	p, err := s.org.Partner(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.org.Unit(r.Context(), a, p.UnitID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "partner_show", &Page{Title: p.Name(reqCtx(r).tr.Lang), Data: partnerShowData{Partner: p, Unit: u}})
}

type partnerFormData struct {
	Partner org.Partner
	Unit    org.Unit
	New     bool
	Types   []string
	Sectors []string
}

func allSectors() []string {
	var out []string
	for _, t := range org.PartnerTypes {
		out = append(out, org.PartnerSectors[t]...)
	}
	return out
}

func (s *Server) partnerNew(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.EditPartners); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.org.Unit(r.Context(), a, queryInt(r, "unit"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := partnerFormData{Unit: u, New: true, Types: org.PartnerTypes, Sectors: allSectors()}
	d.Partner.Active = true
	s.render(w, r, http.StatusOK, "partner_form", &Page{Title: reqCtx(r).tr.T("partners.new"), Data: d})
}

func partnerInputFromForm(r *http.Request) org.PartnerInput {
	active := r.PostFormValue("active") != ""
	return org.PartnerInput{
		Code: r.PostFormValue("code"), UnitID: formInt(r, "unit_id"), Type: r.PostFormValue("type"), Sector: r.PostFormValue("sector"),
		NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en"), Contact: r.PostFormValue("contact"),
		Notes: r.PostFormValue("notes"), Active: &active,
	}
}

func (s *Server) partnerCreate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	r.ParseForm()
	in := partnerInputFromForm(r)
	p, err := s.org.CreatePartner(r.Context(), a, in)
	s.partnerSaved(w, r, a, p, in, true, err)
}

func (s *Server) partnerSaved(w http.ResponseWriter, r *http.Request, a access.Actor, p org.Partner, in org.PartnerInput, isNew bool, err error) {
	if err == nil {
		s.flash(r, "flash.saved")
		http.Redirect(w, r, "/partners/"+itoa(p.ID), http.StatusSeeOther)
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
	d := partnerFormData{Partner: p, Unit: u, New: isNew, Types: org.PartnerTypes, Sectors: allSectors()}
	title := "partners.new"
	if !isNew {
		title = "partners.edit"
	}
	s.render(w, r, http.StatusUnprocessableEntity, "partner_form", &Page{Title: reqCtx(r).tr.T(title), Data: d, Errors: es, Form: r.PostForm})
}

func (s *Server) partnerEdit(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, _ := pathID(r, "id")
	if err := a.Require(access.EditPartners); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.org.Partner(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.org.Unit(r.Context(), a, p.UnitID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := partnerFormData{Partner: p, Unit: u, Types: org.PartnerTypes, Sectors: allSectors()}
	s.render(w, r, http.StatusOK, "partner_form", &Page{Title: reqCtx(r).tr.T("partners.edit"), Data: d})
}

func (s *Server) partnerUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, _ := pathID(r, "id")
	r.ParseForm()
	in := partnerInputFromForm(r)
	p, err := s.org.UpdatePartner(r.Context(), a, id, in)
	p.ID = id
	s.partnerSaved(w, r, a, p, in, false, err)
}
