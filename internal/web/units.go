package web

import (
	"net/http"
	"strings"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/valid"
)

func (s *Server) routesUnits() {
	s.handle("GET /units", s.page(s.unitTree))
	s.handle("GET /units/new", s.page(s.unitNew))
	s.handle("POST /units", s.page(s.unitCreate))
	s.handle("GET /units/{id}", s.page(s.unitShow))
	s.handle("GET /units/{id}/edit", s.page(s.unitEdit))
	s.handle("POST /units/{id}", s.page(s.unitUpdate))
	s.handle("POST /units/{id}/move", s.page(s.unitMove))
	s.handle("POST /units/{id}/close", s.page(s.unitClose))
}

// treeNode is a unit with its children loaded to a fixed depth.
type treeNode struct {
	ID       int64
	Code     string
	Name     string
	Level    org.Level
	Closed   bool
	Tags     []string
	Children []treeNode
	More     bool // has children not loaded
}

type treeData struct {
	Root    treeNode
	AsOf    string // the date the tree is drawn as of; "" for today
	AsOfIn  string // the date as typed, shown back in the field
	Today   string
	Search  string
	Level   string
	Listing bool
	Results []org.Unit
	Pager   pager
}

// unitTree is the tree browser: the actor's unit and three levels below it, as of today or a
// chosen date, with a search box. Deeper levels open from each unit's own page.
func (s *Server) unitTree(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	d := treeData{Today: s.dateToday(), AsOf: r.URL.Query().Get("as_of"), AsOfIn: r.URL.Query().Get("as_of"), Search: strings.TrimSpace(r.URL.Query().Get("q"))}
	level, byLevel := org.ParseLevel(r.URL.Query().Get("level"))
	if d.Search != "" || byLevel {
		d.Listing = true
		pg := newPager(r, 100)
		list, total, err := s.org.Units(r.Context(), a, org.UnitQuery{Search: d.Search, Level: level, Limit: pg.Limit, Offset: pg.Offset, IncludeAll: d.Search != ""})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Results, d.Pager, d.Level = list, pg.with(total), r.URL.Query().Get("level")
		sortUnits(d.Results, tr.Lang)
		s.render(w, r, http.StatusOK, "units_tree", &Page{Title: tr.T("units.title"), Data: d})
		return
	}
	root, err := s.org.Unit(r.Context(), a, a.UnitID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status, page := http.StatusOK, &Page{Title: tr.T("units.title")}
	if d.AsOf != "" && d.AsOf != d.Today {
		node, err := s.asOfTree(r, a, root, d.AsOf, tr.Lang)
		switch es, other := formErrors(err); {
		case err == nil:
			d.Root = node
		case other != nil:
			s.fail(w, r, other)
			return
		default:
			// A date that is not one: say so beside the field and draw today's network.
			status, page.Errors, d.AsOf = http.StatusBadRequest, es, ""
		}
	} else {
		d.AsOf, d.AsOfIn = "", ""
	}
	if d.AsOf == "" {
		node, err := s.loadTree(r, a, root, 3, tr.Lang)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Root = node
	}
	page.Data = d
	s.render(w, r, status, "units_tree", page)
}

func (s *Server) loadTree(r *http.Request, a access.Actor, u org.Unit, depth int, lang string) (treeNode, error) {
	n := treeNode{ID: u.ID, Code: u.Code, Name: u.Name(lang), Level: u.Level, Closed: u.Closed(), Tags: u.Tags}
	if u.Level == org.Community {
		return n, nil
	}
	if depth == 0 {
		n.More = true
		return n, nil
	}
	kids, err := s.org.Children(r.Context(), a, u.ID)
	if err != nil {
		return n, err
	}
	sortUnits(kids, lang)
	for _, k := range kids {
		c, err := s.loadTree(r, a, k, depth-1, lang)
		if err != nil {
			return n, err
		}
		n.Children = append(n.Children, c)
	}
	return n, nil
}

// asOfTree rebuilds the tree from the versions valid on date.
func (s *Server) asOfTree(r *http.Request, a access.Actor, root org.Unit, date, lang string) (treeNode, error) {
	// The root as it stood that day.
	var rootNode treeNode
	parentOfRoot := root.ParentID
	if a.UnitPath == "/" {
		parentOfRoot = 0
	}
	tops, err := s.org.AsOf(r.Context(), a, parentOfRoot, date)
	if err != nil {
		return rootNode, err
	}
	found := false
	for _, v := range tops {
		if v.UnitID == root.ID {
			rootNode = treeNode{ID: v.UnitID, Code: v.Code, Name: v.Name(lang), Level: v.Level, Closed: v.Closed, Tags: v.Tags}
			found = true
		}
	}
	if !found {
		return treeNode{ID: root.ID, Code: root.Code, Name: root.Name(lang), Level: root.Level}, nil
	}
	var fill func(n *treeNode, depth int) error
	fill = func(n *treeNode, depth int) error {
		if depth == 0 {
			return nil
		}
		kids, err := s.org.AsOf(r.Context(), a, n.ID, date)
		if err != nil {
			return err
		}
		for _, v := range kids {
			c := treeNode{ID: v.UnitID, Code: v.Code, Name: v.Name(lang), Level: v.Level, Closed: v.Closed, Tags: v.Tags}
			if err := fill(&c, depth-1); err != nil {
				return err
			}
			n.Children = append(n.Children, c)
		}
		return nil
	}
	return rootNode, fill(&rootNode, 3)
}

type unitShowData struct {
	Unit       org.Unit
	Ancestors  []org.Unit
	Children   []org.Unit
	Partners   []org.Partner
	Committees []org.Committee
	Offices    []org.Office
	Staff      map[int64][]org.Position // current holders per office
	History    []org.Version
	Parents    []org.Unit // candidate new parents for the move form
	Today      string
	CanEdit    bool
	Levels     []org.Level
}

func (s *Server) unitShow(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	d, err := s.unitShowData(r, a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "unit_show", &Page{Title: d.Unit.Name(reqCtx(r).tr.Lang), Data: d})
}

func (s *Server) unitShowData(r *http.Request, a access.Actor, id int64) (unitShowData, error) {
	ctx := r.Context()
	lang := reqCtx(r).tr.Lang
	u, err := s.org.Unit(ctx, a, id)
	if err != nil {
		return unitShowData{}, err
	}
	d := unitShowData{Unit: u, Today: s.dateToday(), Levels: org.Levels,
		CanEdit: a.Can(access.EditUnits) && (a.UnitPath == "/" || u.Path != a.UnitPath)}
	if d.Ancestors, err = s.org.Ancestors(ctx, a, u); err != nil {
		return d, err
	}
	if d.Children, err = s.org.Children(ctx, a, id); err != nil {
		return d, err
	}
	sortUnits(d.Children, lang)
	if d.Partners, _, err = s.org.Partners(ctx, a, org.PartnerQuery{UnitID: id, Limit: 500}); err != nil {
		return d, err
	}
	if d.Committees, err = s.org.Committees(ctx, a, id); err != nil {
		return d, err
	}
	if d.Offices, err = s.org.Offices(ctx, a, id); err != nil {
		return d, err
	}
	d.Staff = map[int64][]org.Position{}
	for _, o := range d.Offices {
		all, err := s.org.Staff(ctx, a, o.ID)
		if err != nil {
			return d, err
		}
		for _, p := range all {
			if p.EndOn == "" {
				d.Staff[o.ID] = append(d.Staff[o.ID], p)
			}
		}
	}
	if d.History, err = s.org.History(ctx, a, id); err != nil {
		return d, err
	}
	if d.CanEdit && u.Level > org.Provincial && !u.Closed() {
		// Units one level up in scope are the usual targets of a move.
		list, _, err := s.org.Units(ctx, a, org.UnitQuery{Level: u.Level - 1, Limit: 1000})
		if err != nil {
			return d, err
		}
		for _, p := range list {
			if p.ID != u.ParentID {
				d.Parents = append(d.Parents, p)
			}
		}
		sortUnits(d.Parents, lang)
	}
	return d, nil
}

type unitFormData struct {
	Unit   org.Unit
	Parent org.Unit
	New    bool
	Levels []org.Level
	Tags   []string
	Today  string
}

func (s *Server) unitNew(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.EditUnits); err != nil {
		s.fail(w, r, err)
		return
	}
	parent, err := s.org.Unit(r.Context(), a, queryInt(r, "parent"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := unitFormData{Parent: parent, New: true, Levels: org.Levels, Tags: org.KnownTags, Today: s.dateToday()}
	d.Unit.Level = parent.Level + 1
	s.render(w, r, http.StatusOK, "unit_form", &Page{Title: reqCtx(r).tr.T("units.new"), Data: d})
}

func unitInputFromForm(r *http.Request) org.UnitInput {
	in := org.UnitInput{
		Code: r.PostFormValue("code"), NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en"),
		ParentID: formInt(r, "parent_id"), Tags: r.PostForm["tags"], Effective: r.PostFormValue("effective"),
	}
	in.Level, _ = org.ParseLevel(r.PostFormValue("level"))
	return in
}

func (s *Server) unitCreate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	r.ParseForm()
	in := unitInputFromForm(r)
	u, err := s.org.CreateUnit(r.Context(), a, in)
	if err == nil {
		s.flash(r, "flash.saved")
		http.Redirect(w, r, "/units/"+itoa(u.ID), http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	parent, perr := s.org.Unit(r.Context(), a, in.ParentID)
	if perr != nil {
		s.fail(w, r, perr)
		return
	}
	d := unitFormData{Parent: parent, New: true, Levels: org.Levels, Tags: org.KnownTags, Today: s.dateToday()}
	s.render(w, r, http.StatusUnprocessableEntity, "unit_form", &Page{Title: reqCtx(r).tr.T("units.new"), Data: d, Errors: es, Form: r.PostForm})
}

func (s *Server) unitEdit(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, _ := pathID(r, "id")
	if err := a.Require(access.EditUnits); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.org.Unit(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := unitFormData{Unit: u, Levels: org.Levels, Tags: org.KnownTags, Today: s.dateToday()}
	s.render(w, r, http.StatusOK, "unit_form", &Page{Title: reqCtx(r).tr.T("units.edit"), Data: d})
}

func (s *Server) unitUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, _ := pathID(r, "id")
	r.ParseForm()
	in := unitInputFromForm(r)
	_, err := s.org.UpdateUnit(r.Context(), a, id, in)
	if err == nil {
		s.flash(r, "flash.saved")
		http.Redirect(w, r, "/units/"+itoa(id), http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, uerr := s.org.Unit(r.Context(), a, id)
	if uerr != nil {
		s.fail(w, r, uerr)
		return
	}
	d := unitFormData{Unit: u, Levels: org.Levels, Tags: org.KnownTags, Today: s.dateToday()}
	s.render(w, r, http.StatusUnprocessableEntity, "unit_form", &Page{Title: reqCtx(r).tr.T("units.edit"), Data: d, Errors: es, Form: r.PostForm})
}

// unitChange handles the move and close forms on the unit page: success returns to the page,
// a broken rule re-renders it with the message.
func (s *Server) unitChange(w http.ResponseWriter, r *http.Request, a access.Actor, apply func(id int64) error) {
	s.recordForm(w, r, func(id int64) (string, error) {
		return "/units/" + itoa(id), apply(id)
	}, func(id int64, es valid.Errors) (string, *Page, error) {
		d, err := s.unitShowData(r, a, id)
		return "unit_show", &Page{Title: d.Unit.Name(reqCtx(r).tr.Lang), Data: d, Form: r.PostForm}, err
	})
}

func (s *Server) unitMove(w http.ResponseWriter, r *http.Request, a access.Actor) {
	s.unitChange(w, r, a, func(id int64) error {
		_, err := s.org.MoveUnit(r.Context(), a, id, formInt(r, "parent_id"), r.PostFormValue("effective"))
		return err
	})
}

func (s *Server) unitClose(w http.ResponseWriter, r *http.Request, a access.Actor) {
	s.unitChange(w, r, a, func(id int64) error {
		_, err := s.org.CloseUnit(r.Context(), a, id, r.PostFormValue("effective"))
		return err
	})
}
