package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/valid"
)

// routesCommittees registers the steering-committee pages (committee, members, meetings).
func (s *Server) routesCommittees() {
	s.handle("GET /committees/new", s.page(s.committeeNew))
	s.handle("POST /committees", s.page(s.committeeCreate))
	s.handle("GET /committees/{id}", s.page(s.committeeShow))
	s.handle("POST /committees/{id}", s.page(s.committeeUpdate))
	s.handle("POST /committees/{id}/members", s.page(s.memberAdd))
	s.handle("POST /committees/{id}/members/{member}", s.page(s.memberUpdate))
	s.handle("POST /committees/{id}/meetings", s.page(s.meetingRecord))
	s.handle("GET /meetings/{id}", s.page(s.meetingShow))
}

// decisionRows is how many decisions the meeting form offers; more can be added through the API.
const decisionRows = 3

// multiForm remembers which of a page's several forms was submitted, so that only that form
// shows the submitted values and the messages by its fields while the others keep the
// record's values.
type multiForm struct {
	Name   string
	Values url.Values
	errs   valid.Errors
	tr     Tr
}

func newMultiForm(r *http.Request, name string, es valid.Errors) multiForm {
	return multiForm{Name: name, Values: r.PostForm, errs: es, tr: reqCtx(r).tr}
}

// Is reports whether form was the one submitted.
func (f multiForm) Is(form string) bool { return f.Name != "" && f.Name == form }

// Val is the submitted value of field when form was submitted, else def.
func (f multiForm) Val(form, field string, def any) string {
	if f.Is(form) {
		return f.Values.Get(field)
	}
	if def == nil {
		return ""
	}
	return fmt.Sprint(def)
}

// Checked is the state of a checkbox with this value: as submitted, else def.
func (f multiForm) Checked(form, field, value string, def bool) bool {
	if f.Is(form) {
		return slices.Contains(f.Values[field], value)
	}
	return def
}

// Err is the translated failure on field when form was submitted, or "".
func (f multiForm) Err(form, field string) string {
	if !f.Is(form) {
		return ""
	}
	if e, ok := f.errs.For(field); ok {
		return f.tr.FieldError(e)
	}
	return ""
}

// ---- committee pages ----

type committeeFormData struct {
	Unit  org.Unit
	Today string
}

func (s *Server) committeeNew(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.EditCommittees); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.org.Unit(r.Context(), a, queryInt(r, "unit"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "committee_form", &Page{Title: reqCtx(r).tr.T("committees.new"), Data: committeeFormData{Unit: u, Today: s.dateToday()}})
}

func committeeInputFromForm(r *http.Request) org.CommitteeInput {
	return org.CommitteeInput{UnitID: formInt(r, "unit_id"), NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en"),
		EstablishedOn: r.PostFormValue("established_on")}
}

func (s *Server) committeeCreate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	r.ParseForm()
	in := committeeInputFromForm(r)
	c, err := s.org.CreateCommittee(r.Context(), a, in)
	if err == nil {
		s.flash(r, "flash.saved")
		http.Redirect(w, r, "/committees/"+itoa(c.ID), http.StatusSeeOther)
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
	s.render(w, r, http.StatusUnprocessableEntity, "committee_form", &Page{Title: reqCtx(r).tr.T("committees.new"),
		Data: committeeFormData{Unit: u, Today: s.dateToday()}, Errors: es, Form: r.PostForm})
}

type committeeShowData struct {
	Committee org.Committee
	Unit      org.Unit
	Current   []org.Member
	Former    []org.Member
	Meetings  []org.Meeting
	// Agencies are the partners members represent, by id; Choices those offered by the forms.
	Agencies  map[int64]org.Partner
	Choices   []org.Partner
	Roles     []string
	Decisions []int
	Today     string
	F         multiForm
}

// Agency returns the member agency of m; its ID is 0 when there is none the reader sees.
func (d committeeShowData) Agency(m org.Member) org.Partner { return d.Agencies[m.PartnerID] }

// Offered reports whether the forms' list of agencies holds partner id.
func (d committeeShowData) Offered(id int64) bool {
	return slices.ContainsFunc(d.Choices, func(p org.Partner) bool { return p.ID == id })
}

// AllMembers lists current then former members, for the change forms.
func (d committeeShowData) AllMembers() []org.Member {
	return append(slices.Clip(d.Current), d.Former...)
}

// agencyArgs and memberArgs carry the page into the shared sub-templates.
type agencyArgs struct {
	P       *Page
	Member  org.Member
	Partner org.Partner
}

func (d committeeShowData) AgencyArgs(p *Page, m org.Member) agencyArgs {
	return agencyArgs{P: p, Member: m, Partner: d.Agency(m)}
}

type memberArgs struct {
	P     *Page
	D     committeeShowData
	Form  string
	M     org.Member
	Since string // default of the since field
}

// NewMemberArgs is the add-member form; a new member joins today unless told otherwise.
func (d committeeShowData) NewMemberArgs(p *Page) memberArgs {
	return memberArgs{P: p, D: d, Form: "member", Since: d.Today}
}

// MemberArgs is the change form of member m.
func (d committeeShowData) MemberArgs(p *Page, form string, m org.Member) memberArgs {
	return memberArgs{P: p, D: d, Form: form, M: m, Since: m.Since}
}

func (s *Server) committeeShowData(r *http.Request, a access.Actor, id int64) (committeeShowData, error) {
	ctx := r.Context()
	c, err := s.org.Committee(ctx, a, id)
	if err != nil {
		return committeeShowData{}, err
	}
	d := committeeShowData{Committee: c, Roles: org.MemberRoles, Today: s.dateToday(), Agencies: map[int64]org.Partner{}}
	for i := range decisionRows {
		d.Decisions = append(d.Decisions, i)
	}
	if d.Unit, err = s.org.Unit(ctx, a, c.UnitID); err != nil {
		return d, err
	}
	ms, err := s.org.Members(ctx, a, id)
	if err != nil {
		return d, err
	}
	for _, m := range ms {
		if m.Current() {
			d.Current = append(d.Current, m)
		} else {
			d.Former = append(d.Former, m)
		}
	}
	if d.Meetings, err = s.org.Meetings(ctx, a, id); err != nil {
		return d, err
	}
	// Member agencies are usually the departments at the committee's own unit and below.
	if d.Choices, _, err = s.org.Partners(ctx, a, org.PartnerQuery{RootID: c.UnitID, Limit: 1000}); err != nil {
		return d, err
	}
	for _, p := range d.Choices {
		d.Agencies[p.ID] = p
	}
	for _, m := range ms {
		if _, ok := d.Agencies[m.PartnerID]; ok || m.PartnerID == 0 {
			continue
		}
		// An agency outside the unit's subtree (or outside the reader's scope) is shown
		// without a link rather than failing the page.
		if p, err := s.org.Partner(ctx, a, m.PartnerID); err == nil {
			d.Agencies[p.ID] = p
		}
	}
	return d, nil
}

func (s *Server) committeeShow(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	d, err := s.committeeShowData(r, a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "committee_show", &Page{Title: d.Committee.Name(reqCtx(r).tr.Lang), Data: d})
}

// committeeChange runs one of the committee page's forms: success returns to the page, a
// broken rule re-renders it with the messages by the submitted form's fields.
func (s *Server) committeeChange(w http.ResponseWriter, r *http.Request, a access.Actor, form string, apply func(id int64) error) {
	s.recordForm(w, r, func(id int64) (string, error) {
		return "/committees/" + itoa(id), apply(id)
	}, func(id int64, es valid.Errors) (string, *Page, error) {
		d, err := s.committeeShowData(r, a, id)
		d.F = newMultiForm(r, form, es)
		return "committee_show", &Page{Title: d.Committee.Name(reqCtx(r).tr.Lang), Data: d}, err
	})
}

func (s *Server) committeeUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	s.committeeChange(w, r, a, "edit", func(id int64) error {
		_, err := s.org.UpdateCommittee(r.Context(), a, id, committeeInputFromForm(r))
		return err
	})
}

func memberInputFromForm(r *http.Request) org.MemberInput {
	return org.MemberInput{PersonName: r.PostFormValue("person_name"), Title: r.PostFormValue("title"), PartnerID: formInt(r, "partner_id"),
		Role: r.PostFormValue("role"), Since: r.PostFormValue("since"), Until: r.PostFormValue("until")}
}

func (s *Server) memberAdd(w http.ResponseWriter, r *http.Request, a access.Actor) {
	s.committeeChange(w, r, a, "member", func(id int64) error {
		_, err := s.org.AddMember(r.Context(), a, id, memberInputFromForm(r))
		return err
	})
}

func (s *Server) memberUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	mid, ok := pathID(r, "member")
	if !ok {
		s.notFound(w, r)
		return
	}
	s.committeeChange(w, r, a, "member-"+itoa(mid), func(id int64) error {
		// The member must sit on the committee named in the path, or the page we return to
		// would not show the change.
		ms, err := s.org.Members(r.Context(), a, id)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(ms, func(m org.Member) bool { return m.ID == mid }) {
			return fmt.Errorf("member %d of committee %d: %w", mid, id, store.ErrNotFound)
		}
		_, err = s.org.UpdateMember(r.Context(), a, mid, memberInputFromForm(r))
		return err
	})
}

// meetingInputFromForm reads the attendance boxes and the decision rows; rows left wholly
// blank are not decisions.
func meetingInputFromForm(r *http.Request) org.MeetingInput {
	in := org.MeetingInput{HeldOn: r.PostFormValue("held_on"), Location: r.PostFormValue("location"), Notes: r.PostFormValue("notes")}
	for _, v := range r.PostForm["present"] {
		// A value that is not a member id is kept as 0, which the domain refuses as
		// not a member, rather than dropped silently.
		id, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		in.Present = append(in.Present, id)
	}
	for i := range decisionRows {
		n := strconv.Itoa(i)
		d := org.Decision{Text: r.PostFormValue("decision_text_" + n), Responsible: r.PostFormValue("decision_responsible_" + n),
			DueOn: strings.TrimSpace(r.PostFormValue("decision_due_" + n))}
		if strings.TrimSpace(d.Text) == "" && strings.TrimSpace(d.Responsible) == "" && d.DueOn == "" {
			continue
		}
		in.Decisions = append(in.Decisions, d)
	}
	return in
}

func (s *Server) meetingRecord(w http.ResponseWriter, r *http.Request, a access.Actor) {
	s.committeeChange(w, r, a, "meeting", func(id int64) error {
		_, err := s.org.RecordMeeting(r.Context(), a, id, meetingInputFromForm(r))
		return err
	})
}

type meetingShowData struct {
	Meeting   org.Meeting
	Committee org.Committee
	Unit      org.Unit
}

func (s *Server) meetingShow(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	m, err := s.org.Meeting(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.org.Committee(r.Context(), a, m.CommitteeID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.org.Unit(r.Context(), a, c.UnitID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tr := reqCtx(r).tr
	s.render(w, r, http.StatusOK, "committee_meeting", &Page{Title: tr.T("meetings.title_on", "Committee", c.Name(tr.Lang), "Date", m.HeldOn),
		Data: meetingShowData{Meeting: m, Committee: c, Unit: u}})
}

// ---- JSON API ----

// routesAPICommittees registers the committee endpoints of the JSON API.
func (s *Server) routesAPICommittees() {
	s.handle("GET /api/v1/units/{id}/committees", apiListOf(s, s.org.Committees))
	s.handle("POST /api/v1/committees", apiCreate(s, s.org.CreateCommittee))
	s.handle("GET /api/v1/committees/{id}", apiGet(s, s.org.Committee))
	s.handle("PATCH /api/v1/committees/{id}", s.api(s.apiCommitteeUpdate))
	s.handle("GET /api/v1/committees/{id}/members", apiListOf(s, s.org.Members))
	s.handle("POST /api/v1/committees/{id}/members", apiCreateUnder(s, s.org.AddMember))
	s.handle("PATCH /api/v1/members/{id}", s.api(s.apiMemberUpdate))
	s.handle("GET /api/v1/committees/{id}/meetings", apiListOf(s, s.org.Meetings))
	s.handle("POST /api/v1/committees/{id}/meetings", apiCreateUnder(s, s.org.RecordMeeting))
	s.handle("GET /api/v1/meetings/{id}", apiGet(s, s.org.Meeting))
}

// committeePatch has no unit_id: a committee does not move between units, and sending one is
// refused as an unknown field rather than ignored.
type committeePatch struct {
	NameZH        string `json:"name_zh"`
	NameEN        string `json:"name_en"`
	EstablishedOn string `json:"established_on"`
}

func (s *Server) apiCommitteeUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	cur, err := s.org.Committee(r.Context(), a, id)
	if err != nil {
		return err
	}
	b := committeePatch{NameZH: cur.NameZH, NameEN: cur.NameEN, EstablishedOn: cur.EstablishedOn}
	if err := decode(r, &b); err != nil {
		return err
	}
	c, err := s.org.UpdateCommittee(r.Context(), a, id, org.CommitteeInput{NameZH: b.NameZH, NameEN: b.NameEN, EstablishedOn: b.EstablishedOn})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiMemberUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	cur, err := s.org.Member(r.Context(), a, id)
	if err != nil {
		return err
	}
	// PATCH: absent fields keep their current values.
	in := org.MemberInput{PersonName: cur.PersonName, Title: cur.Title, PartnerID: cur.PartnerID, Role: cur.Role, Since: cur.Since, Until: cur.Until}
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := s.org.UpdateMember(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}
