package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/valid"
)

// cardsWeb serves the people the programme serves: beneficiary cards and what is done with
// them (consent, services, class sessions, referrals, measurements), the access log of their
// personal data, and the aggregate pages built on them (reach, drift, feedback, measured
// change). Every read and write goes through beneficiaries.Service, which checks scope.
type cardsWeb struct {
	*Server
	svc *beneficiaries.Service
}

// routesCards registers the beneficiaries pages and API.
func (s *Server) routesCards() {
	h := &cardsWeb{Server: s, svc: s.cardsService()}
	s.handle("GET /cards", s.page(h.list))
	s.handle("POST /cards", s.page(h.register))
	s.handle("GET /cards/access-log", s.page(h.accessLog))
	s.handle("GET /cards/duplicates", s.page(h.duplicates))
	s.handle("POST /cards/duplicates/distinct", s.page(h.distinct))
	s.handle("GET /cards/sessions/new", s.page(h.sessionForm))
	s.handle("POST /cards/sessions", s.page(h.sessionCreate))
	s.handle("GET /cards/instruments", s.page(h.instruments))
	s.handle("POST /cards/instruments", s.page(h.instrumentSave))
	s.handle("GET /cards/{id}", s.page(h.show))
	s.handle("POST /cards/{id}", s.page(h.update))
	s.handle("GET /cards/{id}/edit", s.page(h.editForm))
	s.handle("POST /cards/{id}/identify", s.page(h.identify))
	s.handle("POST /cards/{id}/merge", s.page(h.merge))
	s.handle("POST /cards/{id}/erase", s.page(h.erase))
	s.handle("POST /cards/{id}/consents", s.page(h.consentAdd))
	s.handle("POST /cards/{id}/consents/{cid}/withdraw", s.page(h.consentWithdraw))
	s.handle("POST /cards/{id}/services", s.page(h.serviceAdd))
	s.handle("POST /cards/{id}/services/{sid}/delete", s.page(h.serviceDelete))
	s.handle("POST /cards/{id}/referrals", s.page(h.refer))
	s.handle("POST /cards/{id}/measurements", s.page(h.measure))
	s.handle("GET /referrals", s.page(h.referrals))
	s.handle("POST /referrals/{id}/respond", s.page(h.respond))
	s.handle("GET /reach", s.page(h.reach))
	s.handle("GET /reach/export.csv", s.page(h.reachExport("csv")))
	s.handle("GET /reach/export.xlsx", s.page(h.reachExport("xlsx")))
	s.handle("GET /cards/export.csv", s.page(h.cardsExport("csv")))
	s.handle("GET /cards/export.xlsx", s.page(h.cardsExport("xlsx")))
	s.handle("GET /reach/drift", s.page(h.drift))
	s.handle("GET /reach/change", s.page(h.change))
	s.handle("GET /reach/feedback", s.page(h.feedback))
	s.handle("POST /reach/feedback", s.page(h.feedbackAdd))
	h.routesCardsAPI()
}

// ---- shared helpers ----

// cardsLabel renames, for the message only, the domain fields whose shared catalog label means
// something else on these pages (a person's name is not a unit's, a session's title is not a
// staff position).
var cardsLabel = map[string]string{"name": "person_name", "title": "session_title", "action": "feedback_action", "card_id": "card"}

// say translates one failure as these pages name their fields.
func (h *cardsWeb) say(tr Tr, e valid.FieldError) string {
	return tr.FieldError(h.relabel(e))
}

func (h *cardsWeb) relabel(e valid.FieldError) valid.FieldError {
	if l, ok := cardsLabel[e.Field]; ok {
		e.Field = l
	}
	if e.Rule == "not_future" && e.Param == "" {
		e.Param = h.dateToday()
	}
	return e
}

// shown is es as the page's error summary says it: relabelled, and without the rows of
// failures keep drops (the consents of a registration share one set of inputs), each once.
func (h *cardsWeb) shown(es valid.Errors, keep func(valid.FieldError) bool) valid.Errors {
	var out valid.Errors
	for _, e := range es {
		e = h.relabel(e)
		if keep != nil && !keep(e) {
			e.Row = 0
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// form is the submitted state of form with each failure put beside its input; input maps a
// failure to the input's name (nil: the field's own name). A failure on a row keeps the row in
// its message when keepRow says so.
func (h *cardsWeb) form(r *http.Request, name string, es valid.Errors, input func(valid.FieldError) string, keepRow bool) ivForm {
	tr := reqCtx(r).tr
	f := newIvForm(r, name)
	for _, e := range es {
		in := e.Field
		if input != nil {
			in = input(e)
		}
		if !keepRow {
			e.Row = 0
		}
		f.put(in, h.say(tr, e))
	}
	return f
}

// noKey turns the missing keyring into a failure the form can show.
func noKey(err error) error {
	if errors.Is(err, beneficiaries.ErrNoKey) {
		return valid.New("card", "no_key")
	}
	return err
}

// scopeUnits are the open units of the actor's scope, as options indented by level.
func (h *cardsWeb) scopeUnits(ctx context.Context, a access.Actor, lang string) ([]resOption, error) {
	us, _, err := h.org.Units(ctx, a, org.UnitQuery{Limit: 1000})
	if err != nil {
		return nil, err
	}
	top := 0
	if len(us) > 0 {
		top = int(us[0].Level)
	}
	out := make([]resOption, len(us))
	for i, u := range us {
		out[i] = resOption{Value: itoa(u.ID), Label: strings.Repeat("· ", max(0, int(u.Level)-top)) + u.Name(lang) + " (" + u.Code + ")"}
	}
	return out, nil
}

// scopePartners are the active partners of the actor's scope, as options.
func (h *cardsWeb) scopePartners(ctx context.Context, a access.Actor, lang string) ([]resOption, error) {
	ps, _, err := h.org.Partners(ctx, a, org.PartnerQuery{Limit: 500})
	if err != nil {
		return nil, err
	}
	out := make([]resOption, len(ps))
	for i, p := range ps {
		out[i] = resOption{Value: itoa(p.ID), Label: p.Name(lang) + " (" + p.Code + ")"}
	}
	return out, nil
}

// unitByCode finds any unit of the network by its code: the home and current units of a
// migrant and the receiving end of a referral lie in other provinces, outside the scope the
// pages' pickers list. Only the id is used; the code was typed by the user.
func (h *cardsWeb) unitByCode(ctx context.Context, code string) (int64, bool) {
	u, err := h.org.UnitByCode(ctx, access.System, strings.TrimSpace(code))
	if err != nil {
		return 0, false
	}
	return u.ID, true
}

// pickUnit reads a unit given by select (field) or, overriding it, by code (field_code, in
// place of the _id suffix).
func (h *cardsWeb) pickUnit(r *http.Request, field string, es *valid.Errors) int64 {
	codeField := strings.TrimSuffix(field, "_id") + "_code"
	if code := strings.TrimSpace(r.PostFormValue(codeField)); code != "" {
		id, ok := h.unitByCode(r.Context(), code)
		if !ok {
			es.Add(codeField, "no_such_code", code)
		}
		return id
	}
	return formInt(r, field)
}

// splitList splits a list typed one per line or separated by commas (or Chinese commas,
// semicolons or spaces), dropping blanks and repeats, upper-cased: card numbers.
func splitList(s string) []string {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || r == ',' || r == '，' || r == ';' || r == '；' || r == ' ' || r == '\t' || r == '、'
	})
	var out []string
	for _, f := range fields {
		f = strings.ToUpper(strings.TrimSpace(f))
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// noStore keeps a response that shows personal data out of every cache.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// ---- /cards ----

type cardListData struct {
	Cards                            []beneficiaries.Card
	Pager                            pager
	Unit                             int64
	Group, Sex, Number               string
	Units                            []resOption
	Sexes, Groups, Statuses          []string
	Purposes, Givers                 []string
	CanEdit, CanReach, CanLog, NoKey bool
	Today                            string
	Dup                              *beneficiaries.DuplicateError
	F                                ivForm
}

func (h *cardsWeb) listData(r *http.Request, a access.Actor) (cardListData, error) {
	ctx := r.Context()
	q := r.URL.Query()
	pg := newPager(r, 50)
	d := cardListData{Unit: queryInt(r, "unit"), Group: q.Get("group"), Sex: q.Get("sex"), Number: strings.TrimSpace(q.Get("number")),
		Sexes: beneficiaries.Sexes, Groups: beneficiaries.Groups, Statuses: beneficiaries.Statuses, Purposes: beneficiaries.Purposes,
		Givers: beneficiaries.Givers, CanEdit: a.Can(access.EditCards), CanReach: a.Can(access.ViewReach), CanLog: a.Can(access.ViewAccessLog),
		NoKey: h.keys == nil, Today: h.dateToday()}
	cards, total, err := h.svc.Cards(ctx, a, beneficiaries.CardQuery{UnitID: d.Unit, Group: d.Group, Sex: d.Sex, Number: d.Number, Limit: pg.Limit, Offset: pg.Offset})
	if err != nil {
		return d, err
	}
	d.Cards, d.Pager = cards, pg.with(total)
	d.Units, err = h.scopeUnits(ctx, a, reqCtx(r).tr.Lang)
	return d, err
}

func (h *cardsWeb) list(w http.ResponseWriter, r *http.Request, a access.Actor) {
	d, err := h.listData(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "cards_list", &Page{Title: reqCtx(r).tr.T("cards.title"), Data: d})
}

// cardFromForm reads the card form (registration and edit share it).
func (h *cardsWeb) cardFromForm(r *http.Request) (beneficiaries.CardInput, valid.Errors) {
	var es valid.Errors
	in := beneficiaries.CardInput{Sex: r.PostFormValue("sex"), Birth: r.PostFormValue("birth"),
		Ethnicity: r.PostFormValue("ethnicity"), Groups: r.PostForm["groups"], Status: r.PostFormValue("status"),
		Name: r.PostFormValue("name"), IDNumber: r.PostFormValue("id_number"), Phone: r.PostFormValue("phone"), Address: r.PostFormValue("address"),
		Guardian: r.PostFormValue("guardian"), NotDuplicate: r.PostFormValue("not_duplicate") != ""}
	// The site list holds the first 1,000 units of the reader's area; a site beyond them (a
	// province holds tens of thousands at national scale) is given by its code.
	in.SiteID = h.pickUnit(r, "site_id", &es)
	in.HomeUnitID = h.pickUnit(r, "home_unit_id", &es)
	in.CurrentUnitID = h.pickUnit(r, "current_unit_id", &es)
	return in, es
}

// consentInput is the input of the registration form a consent failure belongs beside.
func consentInput(e valid.FieldError) string {
	if e.Row > 0 {
		return "consent_" + e.Field
	}
	return e.Field
}

func (h *cardsWeb) register(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.EditCards); err != nil {
		h.fail(w, r, err)
		return
	}
	r.ParseForm()
	tr := reqCtx(r).tr
	in, es := h.cardFromForm(r)
	var consents []beneficiaries.ConsentInput
	for _, p := range r.PostForm["consent_purpose"] {
		consents = append(consents, beneficiaries.ConsentInput{Purpose: p, GivenBy: r.PostFormValue("consent_given_by"),
			Giver: r.PostFormValue("consent_giver"), GivenOn: strings.TrimSpace(r.PostFormValue("consent_given_on"))})
	}
	var err error = es
	var card beneficiaries.Card
	if len(es) == 0 {
		card, err = h.svc.Register(r.Context(), a, in, consents)
	}
	if err == nil {
		h.flash(r, "cards.registered")
		http.Redirect(w, r, "/cards/"+itoa(card.ID), http.StatusSeeOther)
		return
	}
	var dup *beneficiaries.DuplicateError
	status := http.StatusUnprocessableEntity
	var fes valid.Errors
	if errors.As(err, &dup) {
		status = http.StatusConflict
	} else if fes, err = formErrors(noKey(err)); err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.listData(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Dup = dup
	d.F = h.form(r, "card", fes, consentInput, false)
	if dup != nil {
		d.F = newIvForm(r, "card")
	}
	// The form echoes the personal data just typed.
	noStore(w)
	h.render(w, r, status, "cards_list", &Page{Title: tr.T("cards.title"), Data: d, Errors: h.shown(fes, func(e valid.FieldError) bool { return false })})
}

// ---- /cards/{id} ----

type cardShowData struct {
	Card                                     beneficiaries.Card
	Ethnicity                                string // the card's ethnicity in the reader's language when it is a code of the ethnicity disaggregation, else as written
	Consents                                 []beneficiaries.Consent
	Services                                 []beneficiaries.ServiceRecord
	Referrals                                []beneficiaries.Referral
	Measurements                             []beneficiaries.Measurement
	Instruments                              []beneficiaries.Instrument
	Identity                                 *beneficiaries.Identity
	Units, Partners                          []resOption
	Reasons, ServiceTypes, Purposes, Givers  []string
	Kinds                                    []string
	Today                                    string
	Live                                     bool // neither merged nor anonymised
	CanEdit, CanMerge, CanRefer, CanOverride bool
	CanErase, CanLog                         bool
	CanChange                                bool   // edit the card itself and its consents: its own sites only
	MergedInto                               string // the number of the card this one was merged into
	F                                        ivForm
}

func (h *cardsWeb) showData(r *http.Request, a access.Actor, id int64) (cardShowData, error) {
	ctx := r.Context()
	lang := reqCtx(r).tr.Lang
	c, err := h.svc.Card(ctx, a, id)
	if err != nil {
		return cardShowData{}, err
	}
	d := cardShowData{Card: c, Reasons: beneficiaries.AccessReasons, ServiceTypes: beneficiaries.ServiceTypes, Purposes: beneficiaries.Purposes,
		Givers: beneficiaries.Givers, Kinds: beneficiaries.MeasurementKinds, Today: h.dateToday(), Live: c.MergedInto == 0 && c.Anonymised == "",
		CanEdit: a.Can(access.EditCards), CanMerge: a.Can(access.MergeCards), CanRefer: a.Can(access.Refer), CanOverride: a.Can(access.OverrideConsent),
		CanErase: a.Can(access.EraseCards) && c.Own, CanLog: a.Can(access.ViewAccessLog), CanChange: a.Can(access.EditCards) && c.Own}
	d.CanMerge = d.CanMerge && c.Own
	d.Ethnicity = c.Ethnicity
	if c.Ethnicity != "" {
		// The ethnicity is written on the card as typed; the programme's ethnicity
		// disaggregation names its codes (han, miao …) in both languages.
		if k, err := h.resultsService().Category(ctx, "ethnicity", c.Ethnicity); err == nil {
			d.Ethnicity = k.Name(lang)
		} else if !errors.Is(err, store.ErrNotFound) {
			return cardShowData{}, err
		}
	}
	if c.MergedInto != 0 {
		if k, err := h.svc.Card(ctx, a, c.MergedInto); err == nil {
			d.MergedInto = k.Number
		}
	}
	if d.Consents, err = h.svc.Consents(ctx, a, id); err != nil {
		return d, err
	}
	if d.Services, err = h.svc.Services(ctx, a, id); err != nil {
		return d, err
	}
	if d.Referrals, err = h.svc.Referrals(ctx, a, id); err != nil {
		return d, err
	}
	if d.Measurements, err = h.svc.Measurements(ctx, a, id); err != nil {
		return d, err
	}
	if d.CanEdit && d.Live {
		if d.Instruments, err = h.svc.Instruments(ctx); err != nil {
			return d, err
		}
	}
	if (d.CanEdit || d.CanRefer) && d.Live {
		if d.Units, err = h.scopeUnits(ctx, a, lang); err != nil {
			return d, err
		}
		if d.Partners, err = h.scopePartners(ctx, a, lang); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (h *cardsWeb) show(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	d, err := h.showData(r, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "cards_show", &Page{Title: reqCtx(r).tr.T("cards.card_title", "Number", d.Card.Number), Data: d})
}

// cardPost runs one form posted to a card's page: the card must be one the actor sees; when
// change succeeds the page is shown again (or next, when change names one) with a flash; when a
// rule is broken the card's page is shown with the failures beside form's inputs, status 422.
func (h *cardsWeb) cardPost(w http.ResponseWriter, r *http.Request, a access.Actor, form string, input func(valid.FieldError) string,
	change func(ctx context.Context, card beneficiaries.Card) (string, error)) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	r.ParseForm()
	c, err := h.svc.Card(r.Context(), a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	next, err := change(r.Context(), c)
	if err == nil {
		h.flash(r, "flash.saved")
		if next == "" {
			next = "/cards/" + itoa(id)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	es, err := formErrors(noKey(err))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.showData(r, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.F = h.form(r, form, es, input, false)
	h.render(w, r, http.StatusUnprocessableEntity, "cards_show", &Page{Title: reqCtx(r).tr.T("cards.card_title", "Number", d.Card.Number), Data: d,
		Errors: h.shown(es, nil)})
}

// identify opens the card's personal fields for this one response, with its reason logged.
func (h *cardsWeb) identify(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	r.ParseForm()
	tr := reqCtx(r).tr
	ident, err := h.svc.Identify(r.Context(), a, id, r.PostFormValue("reason"))
	status := http.StatusOK
	var es valid.Errors
	if err != nil {
		if es, err = formErrors(noKey(err)); err != nil {
			h.fail(w, r, err)
			return
		}
		status = http.StatusUnprocessableEntity
	}
	d, err := h.showData(r, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if es == nil {
		d.Identity = &ident
	}
	d.F = h.form(r, "identify", es, nil, false)
	noStore(w)
	h.render(w, r, status, "cards_show", &Page{Title: tr.T("cards.card_title", "Number", d.Card.Number), Data: d, Errors: h.shown(es, nil)})
}

func (h *cardsWeb) merge(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.cardPost(w, r, a, "merge", nil, func(ctx context.Context, c beneficiaries.Card) (string, error) {
		number := strings.TrimSpace(r.PostFormValue("duplicate"))
		if number == "" {
			return "", valid.New("duplicate", "required")
		}
		if err := a.Require(access.MergeCards); err != nil {
			return "", err
		}
		dup, err := h.svc.CardByNumber(ctx, a, number)
		if errors.Is(err, store.ErrNotFound) {
			return "", valid.New("duplicate", "not_found")
		}
		if err != nil {
			return "", err
		}
		_, err = h.svc.Merge(ctx, a, c.ID, dup.ID)
		if r.PostFormValue("from") == "duplicates" {
			return "/cards/duplicates", err
		}
		return "", err
	})
}

// duplicatesData is the list of likely duplicates waiting for a decision.
type duplicatesData struct {
	Pairs []beneficiaries.DuplicatePair
	Err   string
	Pager pager
}

// duplicates lists the open pairs of likely duplicates both of whose cards are the reader's,
// each with a merge either way and a "two people" answer.
func (h *cardsWeb) duplicates(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.duplicatesPage(w, r, a, http.StatusOK, "")
}

func (h *cardsWeb) duplicatesPage(w http.ResponseWriter, r *http.Request, a access.Actor, status int, msg string) {
	pg := newPager(r, 50)
	pairs, total, err := h.svc.LikelyDuplicates(r.Context(), a, pg.Limit, pg.Offset)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tr := reqCtx(r).tr
	h.render(w, r, status, "cards_duplicates", &Page{Title: tr.T("dup.title"), Data: duplicatesData{Pairs: pairs, Err: msg, Pager: pg.with(total)}})
}

// distinct marks a pair as two people.
func (h *cardsWeb) distinct(w http.ResponseWriter, r *http.Request, a access.Actor) {
	r.ParseForm()
	one, _ := strconv.ParseInt(r.PostFormValue("card"), 10, 64)
	two, _ := strconv.ParseInt(r.PostFormValue("other"), 10, 64)
	err := h.svc.MarkDistinct(r.Context(), a, one, two)
	if err == nil {
		h.flash(r, "flash.saved")
		http.Redirect(w, r, "/cards/duplicates", http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.duplicatesPage(w, r, a, http.StatusUnprocessableEntity, h.say(reqCtx(r).tr, es[0]))
}

func (h *cardsWeb) erase(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.cardPost(w, r, a, "erase", nil, func(ctx context.Context, c beneficiaries.Card) (string, error) {
		return "", h.svc.Erase(ctx, a, c.ID, strings.TrimSpace(r.PostFormValue("reason")))
	})
}

func (h *cardsWeb) consentAdd(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.cardPost(w, r, a, "consent", nil, func(ctx context.Context, c beneficiaries.Card) (string, error) {
		_, err := h.svc.AddConsent(ctx, a, c.ID, beneficiaries.ConsentInput{Purpose: r.PostFormValue("purpose"), GivenBy: r.PostFormValue("given_by"),
			Giver: r.PostFormValue("giver"), GivenOn: strings.TrimSpace(r.PostFormValue("given_on"))})
		return "", err
	})
}

func (h *cardsWeb) consentWithdraw(w http.ResponseWriter, r *http.Request, a access.Actor) {
	cid, ok := pathID(r, "cid")
	if !ok {
		h.notFound(w, r)
		return
	}
	h.cardPost(w, r, a, "withdraw-"+itoa(cid), nil, func(ctx context.Context, c beneficiaries.Card) (string, error) {
		return "", h.svc.WithdrawConsent(ctx, a, c.ID, cid, strings.TrimSpace(r.PostFormValue("withdrawn_on")))
	})
}

func (h *cardsWeb) serviceAdd(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.cardPost(w, r, a, "service", nil, func(ctx context.Context, c beneficiaries.Card) (string, error) {
		_, err := h.svc.AddService(ctx, a, beneficiaries.ServiceInput{CardID: c.ID, SiteID: formInt(r, "site_id"), Type: r.PostFormValue("type"),
			Date: strings.TrimSpace(r.PostFormValue("date")), Provider: r.PostFormValue("provider"), Note: r.PostFormValue("note")})
		return "", err
	})
}

func (h *cardsWeb) serviceDelete(w http.ResponseWriter, r *http.Request, a access.Actor) {
	sid, ok := pathID(r, "sid")
	if !ok {
		h.notFound(w, r)
		return
	}
	h.cardPost(w, r, a, "service-delete", nil, func(ctx context.Context, c beneficiaries.Card) (string, error) {
		svcs, err := h.svc.Services(ctx, a, c.ID)
		if err != nil {
			return "", err
		}
		if !slices.ContainsFunc(svcs, func(s beneficiaries.ServiceRecord) bool { return s.ID == sid }) {
			return "", store.ErrNotFound
		}
		return "", h.svc.DeleteService(ctx, a, sid)
	})
}

// referInput is the input of the referral form a failure belongs beside.
func referInput(e valid.FieldError) string {
	switch e.Field {
	case "to_unit_id", "to_partner_id":
		return "destination"
	case "consent", "override":
		return "override"
	}
	return e.Field
}

func (h *cardsWeb) refer(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.cardPost(w, r, a, "refer", referInput, func(ctx context.Context, c beneficiaries.Card) (string, error) {
		if err := a.Require(access.Refer); err != nil {
			return "", err
		}
		var es valid.Errors
		in := beneficiaries.ReferralInput{CardID: c.ID, ToPartnerID: formInt(r, "to_partner_id"), ServiceType: r.PostFormValue("service_type"),
			Reason: r.PostFormValue("reason"), Override: r.PostFormValue("override") != "", OverrideReason: r.PostFormValue("override_reason")}
		in.ToUnitID = h.pickUnit(r, "to_unit_id", &es)
		if err := es.Err(); err != nil {
			return "", err
		}
		_, err := h.svc.Refer(ctx, a, in)
		return "", err
	})
}

// measureInput puts an answer's failure beside its question.
func measureInput(e valid.FieldError) string {
	if e.Field == "answers" && e.Param != "" {
		return "answer_" + e.Param
	}
	return e.Field
}

func (h *cardsWeb) measure(w http.ResponseWriter, r *http.Request, a access.Actor) {
	code := strings.TrimSpace(r.FormValue("instrument"))
	h.cardPost(w, r, a, "measure-"+code, measureInput, func(ctx context.Context, c beneficiaries.Card) (string, error) {
		answers := map[string]string{}
		for k, v := range r.PostForm {
			if q, ok := strings.CutPrefix(k, "answer_"); ok && len(v) > 0 {
				answers[q] = v[0]
			}
		}
		_, err := h.svc.RecordMeasurement(ctx, a, beneficiaries.MeasurementInput{CardID: c.ID, Instrument: code, Kind: r.PostFormValue("kind"),
			Date: strings.TrimSpace(r.PostFormValue("date")), Answers: answers})
		return "", err
	})
}

// ---- /cards/{id}/edit ----

type cardEditData struct {
	Card                    beneficiaries.Card
	Units                   []resOption
	Sexes, Groups, Statuses []string
	F                       ivForm
}

func (h *cardsWeb) editData(r *http.Request, a access.Actor, id int64) (cardEditData, error) {
	c, err := h.svc.Card(r.Context(), a, id)
	if err != nil {
		return cardEditData{}, err
	}
	if err := a.Require(access.EditCards); err != nil {
		return cardEditData{}, err
	}
	if c.MergedInto != 0 || c.Anonymised != "" {
		return cardEditData{}, access.ErrForbidden
	}
	d := cardEditData{Card: c, Sexes: beneficiaries.Sexes, Groups: beneficiaries.Groups, Statuses: beneficiaries.Statuses}
	d.Units, err = h.scopeUnits(r.Context(), a, reqCtx(r).tr.Lang)
	return d, err
}

func (h *cardsWeb) editForm(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	d, err := h.editData(r, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "cards_edit", &Page{Title: reqCtx(r).tr.T("cards.edit_title", "Number", d.Card.Number), Data: d})
}

func (h *cardsWeb) update(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	r.ParseForm()
	d, err := h.editData(r, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, es := h.cardFromForm(r)
	err = es.Err()
	if err == nil {
		_, err = h.svc.Update(r.Context(), a, id, in)
	}
	if err == nil {
		h.flash(r, "flash.saved")
		http.Redirect(w, r, "/cards/"+itoa(id), http.StatusSeeOther)
		return
	}
	fes, err := formErrors(noKey(err))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.F = h.form(r, "card", fes, nil, false)
	noStore(w)
	h.render(w, r, http.StatusUnprocessableEntity, "cards_edit", &Page{Title: reqCtx(r).tr.T("cards.edit_title", "Number", d.Card.Number), Data: d,
		Errors: h.shown(fes, nil)})
}

// ---- /cards/sessions/new ----

type sessionData struct {
	Units []resOption
	Types []string
	Site  string
	Today string
	Lines []sessionLine // the attendance list's failures, by line
	F     ivForm
}

// sessionLine is one attendee of a refused attendance list with what is wrong with it.
type sessionLine struct {
	Row      int
	Number   string
	Messages []string
}

func (h *cardsWeb) sessionData(r *http.Request, a access.Actor) (sessionData, error) {
	if err := a.Require(access.EditCards); err != nil {
		return sessionData{}, err
	}
	d := sessionData{Types: beneficiaries.ServiceTypes, Today: h.dateToday()}
	if u := queryInt(r, "unit"); u != 0 {
		if _, err := h.org.Unit(r.Context(), a, u); err != nil {
			return d, err
		}
		d.Site = itoa(u)
	}
	var err error
	d.Units, err = h.scopeUnits(r.Context(), a, reqCtx(r).tr.Lang)
	return d, err
}

func (h *cardsWeb) sessionForm(w http.ResponseWriter, r *http.Request, a access.Actor) {
	d, err := h.sessionData(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "cards_session", &Page{Title: reqCtx(r).tr.T("cards.session_title"), Data: d})
}

func (h *cardsWeb) sessionCreate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	r.ParseForm()
	tr := reqCtx(r).tr
	d, err := h.sessionData(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list := splitList(r.PostFormValue("attendees"))
	sess, err := h.svc.AddSession(r.Context(), a, beneficiaries.SessionInput{SiteID: formInt(r, "site_id"), Type: r.PostFormValue("type"),
		Date: strings.TrimSpace(r.PostFormValue("date")), Title: r.PostFormValue("title"), Provider: r.PostFormValue("provider"), Attendees: list})
	if err == nil {
		h.flash(r, "cards.session_saved")
		http.Redirect(w, r, "/cards/sessions/new?unit="+itoa(sess.SiteID), http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// A line of the list is wrong about its card (or, before the person's birth, its date),
	// though the domain names the list.
	for i, e := range es {
		if e.Row > 0 && e.Field == "attendees" {
			es[i].Field = "card"
			if e.Rule == "before_birth" {
				es[i].Field = "date"
			}
		}
	}
	d.F = h.form(r, "session", es, func(e valid.FieldError) string {
		if e.Row > 0 {
			return "attendees"
		}
		return e.Field
	}, true)
	for _, e := range es {
		if e.Row < 1 || e.Row > len(list) {
			continue
		}
		msg := h.say(tr, valid.FieldError{Field: e.Field, Rule: e.Rule, Param: e.Param})
		if n := len(d.Lines); n > 0 && d.Lines[n-1].Row == e.Row {
			d.Lines[n-1].Messages = append(d.Lines[n-1].Messages, msg)
			continue
		}
		d.Lines = append(d.Lines, sessionLine{Row: e.Row, Number: list[e.Row-1], Messages: []string{msg}})
	}
	h.render(w, r, http.StatusUnprocessableEntity, "cards_session", &Page{Title: tr.T("cards.session_title"), Data: d, Errors: h.shown(es, nil)})
}

// ---- /referrals ----

type referralsData struct {
	Received, Sent           []beneficiaries.Referral
	ReceivedPager, SentPager pager
	CanRefer                 bool
	F                        ivForm
}

// Next lists the statuses the reader may move a referral to.
func (d referralsData) Next(r beneficiaries.Referral) []string {
	if !d.CanRefer {
		return nil
	}
	if !r.Incoming && r.ToPartnerID == 0 {
		return nil
	}
	switch r.Status {
	case "sent":
		return []string{"accepted", "rejected"}
	case "accepted":
		return []string{"completed"}
	}
	return nil
}

func (h *cardsWeb) referralsData(r *http.Request, a access.Actor) (referralsData, error) {
	// Each list is read a page at a time, each with its own offset, so neither grows with the
	// years of referrals behind it.
	d := referralsData{CanRefer: a.Can(access.Refer), ReceivedPager: newPagerAt(r, 50, "received_offset"), SentPager: newPagerAt(r, 50, "sent_offset")}
	for _, side := range []struct {
		name  string
		list  *[]beneficiaries.Referral
		pager *pager
	}{{"received", &d.Received, &d.ReceivedPager}, {"sent", &d.Sent, &d.SentPager}} {
		list, total, err := h.svc.FindReferrals(r.Context(), a, beneficiaries.ReferralQuery{Side: side.name, Limit: side.pager.Limit, Offset: side.pager.Offset})
		if err != nil {
			return d, err
		}
		*side.list, *side.pager = list, side.pager.with(total)
	}
	return d, nil
}

func (h *cardsWeb) referrals(w http.ResponseWriter, r *http.Request, a access.Actor) {
	d, err := h.referralsData(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "referrals_list", &Page{Title: reqCtx(r).tr.T("ref.title"), Data: d})
}

func (h *cardsWeb) respond(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	r.ParseForm()
	_, err := h.svc.Respond(r.Context(), a, id, r.PostFormValue("status"), r.PostFormValue("response"))
	if err == nil {
		// Back to the pages of the lists the referral was answered on.
		back := url.Values{}
		for _, p := range []string{"received_offset", "sent_offset"} {
			if n, err := strconv.Atoi(r.URL.Query().Get(p)); err == nil && n > 0 {
				back.Set(p, strconv.Itoa(n))
			}
		}
		h.flash(r, "flash.saved")
		http.Redirect(w, r, strings.TrimSuffix("/referrals?"+back.Encode(), "?"), http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.referralsData(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.F = h.form(r, "respond-"+itoa(id), es, nil, false)
	h.render(w, r, http.StatusUnprocessableEntity, "referrals_list", &Page{Title: reqCtx(r).tr.T("ref.title"), Data: d, Errors: h.shown(es, nil)})
}

// ---- /cards/access-log ----

type accessLogData struct {
	Entries []beneficiaries.Access
	Pager   pager
	Card    string
	Err     string
}

func (h *cardsWeb) accessLog(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.ViewAccessLog); err != nil {
		h.fail(w, r, err)
		return
	}
	tr := reqCtx(r).tr
	pg := newPager(r, 100)
	d := accessLogData{Card: strings.TrimSpace(r.URL.Query().Get("card"))}
	var cardID int64
	status := http.StatusOK
	if d.Card != "" {
		c, err := h.svc.CardByNumber(r.Context(), a, d.Card)
		switch {
		case errors.Is(err, store.ErrNotFound) || errors.Is(err, access.ErrForbidden):
			d.Err = h.say(tr, valid.FieldError{Field: "card", Rule: "not_found"})
			status = http.StatusNotFound
		case err != nil:
			h.fail(w, r, err)
			return
		default:
			cardID = c.ID
		}
	}
	if d.Err == "" {
		entries, total, err := h.svc.AccessLog(r.Context(), a, cardID, pg.Limit, pg.Offset)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Entries, d.Pager = entries, pg.with(total)
	}
	h.render(w, r, status, "cards_access_log", &Page{Title: tr.T("cards.log_title"), Data: d})
}

// ---- formatting for the templates ----

func init() {
	funcs["fields"] = func(s string) []string { return strings.Split(s, ",") }
	funcs["pct"] = func(share float64) string { return ivPercent(share) }
	funcs["num1"] = func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	funcs["num2"] = func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	funcs["count"] = func(n int64) string { return resNum(float64(n)) } // 67,863
	funcs["hasGroup"] = func(gs []string, g string) bool { return slices.Contains(gs, g) }
	funcs["refRow"] = func(p *Page, r beneficiaries.Referral) refRowArgs { return refRowArgs{Page: p, Ref: r} }
	funcs["dupCard"] = func(p *Page, c beneficiaries.Card) dupCardArgs { return dupCardArgs{Page: p, Card: c} }
}

// dupCardArgs carry one card of a likely-duplicate pair and the page into the dup_card template.
type dupCardArgs struct {
	Page *Page
	Card beneficiaries.Card
}

// refRowArgs carry one referral and the page into the referral_row template.
type refRowArgs struct {
	Page *Page
	Ref  beneficiaries.Referral
}
