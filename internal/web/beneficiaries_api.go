package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"ting/internal/access"
	"ting/internal/beneficiaries"
	"ting/internal/store"
	"ting/internal/valid"
)

// routesCardsAPI registers the beneficiaries JSON API.
func (h *cardsWeb) routesCardsAPI() {
	s := h.Server
	s.handle("GET /api/v1/cards", h.api(h.apiCards))
	s.handle("POST /api/v1/cards", h.api(h.apiRegister))
	s.handle("GET /api/v1/cards/access-log", h.api(h.apiAccessLog))
	s.handle("GET /api/v1/cards/{id}", apiGet(s, h.svc.Card))
	s.handle("PUT /api/v1/cards/{id}", h.api(h.apiUpdate))
	s.handle("POST /api/v1/cards/{id}/identify", h.api(h.apiIdentify))
	s.handle("POST /api/v1/cards/{id}/merge", h.api(h.apiMerge))
	s.handle("GET /api/v1/cards/duplicates", h.api(h.apiDuplicates))
	s.handle("POST /api/v1/cards/duplicates/distinct", h.api(h.apiDistinct))
	s.handle("GET /api/v1/cards/{id}/consents", apiListOf(s, h.svc.Consents))
	s.handle("POST /api/v1/cards/{id}/consents", h.api(h.apiConsentAdd))
	s.handle("POST /api/v1/cards/{id}/consents/{cid}/withdraw", h.api(h.apiConsentWithdraw))
	s.handle("GET /api/v1/cards/{id}/services", apiListOf(s, h.svc.Services))
	s.handle("POST /api/v1/cards/{id}/services", h.api(h.apiServiceAdd))
	s.handle("GET /api/v1/cards/{id}/measurements", apiListOf(s, h.svc.Measurements))
	s.handle("POST /api/v1/cards/{id}/measurements", h.api(h.apiMeasure))
	s.handle("DELETE /api/v1/services/{id}", h.api(h.apiServiceDelete))
	s.handle("POST /api/v1/sessions", h.api(h.apiSession))
	s.handle("GET /api/v1/referrals", h.api(h.apiReferrals))
	s.handle("POST /api/v1/referrals", h.api(h.apiRefer))
	s.handle("POST /api/v1/referrals/{id}/respond", h.api(h.apiRespond))
	s.handle("GET /api/v1/reach", h.api(h.apiReach))
}

// duplicateBody answers a registration stopped by likely duplicates (409).
type duplicateBody struct {
	Code       string               `json:"code"`
	Message    string               `json:"message"`
	Duplicates []beneficiaries.Card `json:"duplicates"`
}

// api wraps a beneficiaries API handler: validation failures are said as these pages name
// their fields, a registration stopped by likely duplicates answers 409 with them, and a
// missing keyring is a failure the client can read.
func (h *cardsWeb) api(fn func(w http.ResponseWriter, r *http.Request, a access.Actor) error) http.HandlerFunc {
	return h.Server.api(func(w http.ResponseWriter, r *http.Request, a access.Actor) error {
		err := noKey(fn(w, r, a))
		if err == nil {
			return nil
		}
		tr := reqCtx(r).tr
		var dup *beneficiaries.DuplicateError
		if errors.As(err, &dup) {
			body := duplicateBody{Code: "duplicate", Message: tr.T("cards.dup_api", "N", len(dup.Cards)), Duplicates: dup.Cards}
			if body.Duplicates == nil {
				body.Duplicates = []beneficiaries.Card{}
			}
			writeJSON(w, http.StatusConflict, body)
			return nil
		}
		if es, ok := valid.As(err); ok {
			body := apiErrorBody{Code: "validation", Message: h.say(tr, es[0]), Field: es[0].Field}
			for _, e := range es {
				body.Errors = append(body.Errors, apiFieldFail{Field: e.Field, Rule: e.Rule, Message: h.say(tr, e), Row: e.Row})
			}
			writeJSON(w, http.StatusUnprocessableEntity, body)
			return nil
		}
		return err
	})
}

func (h *cardsWeb) apiCards(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	pg := newPager(r, 50)
	q := r.URL.Query()
	cards, total, err := h.svc.Cards(r.Context(), a, beneficiaries.CardQuery{UnitID: queryInt(r, "unit"), Group: q.Get("group"), Sex: q.Get("sex"),
		Number: q.Get("number"), Limit: pg.Limit, Offset: pg.Offset})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(cards, total, pg))
	return nil
}

// cardRegisterBody is a card with the consents given at registration.
type cardRegisterBody struct {
	beneficiaries.CardInput
	Consents []beneficiaries.ConsentInput `json:"consents"`
}

func (h *cardsWeb) apiRegister(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	var b cardRegisterBody
	if err := decode(r, &b); err != nil {
		return err
	}
	c, err := h.svc.Register(r.Context(), a, b.CardInput, b.Consents)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (h *cardsWeb) apiUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	if _, err := h.svc.Card(r.Context(), a, id); err != nil {
		return err
	}
	var in beneficiaries.CardInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := h.svc.Update(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

type identifyBody struct {
	Reason string `json:"reason"`
}

func (h *cardsWeb) apiIdentify(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	var b identifyBody
	if err := decode(r, &b); err != nil {
		return err
	}
	ident, err := h.svc.Identify(r.Context(), a, id, b.Reason)
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusOK, ident)
	return nil
}

type mergeBody struct {
	DuplicateID int64 `json:"duplicate_id"`
}

func (h *cardsWeb) apiMerge(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	var b mergeBody
	if err := decode(r, &b); err != nil {
		return err
	}
	c, err := h.svc.Merge(r.Context(), a, id, b.DuplicateID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (h *cardsWeb) apiDuplicates(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	pg := newPager(r, 500)
	pairs, total, err := h.svc.LikelyDuplicates(r.Context(), a, pg.Limit, pg.Offset)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(pairs, total, pg))
	return nil
}

type distinctBody struct {
	CardID  int64 `json:"card_id"`
	OtherID int64 `json:"other_id"`
}

func (h *cardsWeb) apiDistinct(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	var b distinctBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if err := h.svc.MarkDistinct(r.Context(), a, b.CardID, b.OtherID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *cardsWeb) apiConsentAdd(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	var in beneficiaries.ConsentInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := h.svc.AddConsent(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

type withdrawBody struct {
	WithdrawnOn string `json:"withdrawn_on"`
}

func (h *cardsWeb) apiConsentWithdraw(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	cid, err := strconv.ParseInt(r.PathValue("cid"), 10, 64)
	if err != nil {
		return fmt.Errorf("consent %q: %w", r.PathValue("cid"), store.ErrNotFound)
	}
	var b withdrawBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if err := h.svc.WithdrawConsent(r.Context(), a, id, cid, b.WithdrawnOn); err != nil {
		return err
	}
	cs, err := h.svc.Consents(r.Context(), a, id)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(cs, func(c beneficiaries.Consent) bool { return c.ID == cid })
	if i < 0 {
		return fmt.Errorf("consent %q: %w", r.PathValue("cid"), store.ErrNotFound)
	}
	writeJSON(w, http.StatusOK, cs[i])
	return nil
}

func (h *cardsWeb) apiServiceAdd(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	var in beneficiaries.ServiceInput
	if err := decode(r, &in); err != nil {
		return err
	}
	in.CardID, in.Card = id, ""
	rec, err := h.svc.AddService(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rec)
	return nil
}

func (h *cardsWeb) apiServiceDelete(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteService(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *cardsWeb) apiMeasure(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	var in beneficiaries.MeasurementInput
	if err := decode(r, &in); err != nil {
		return err
	}
	in.CardID = id
	m, err := h.svc.RecordMeasurement(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (h *cardsWeb) apiSession(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	var in beneficiaries.SessionInput
	if err := decode(r, &in); err != nil {
		return err
	}
	s, err := h.svc.AddSession(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s)
	return nil
}

func (h *cardsWeb) apiReferrals(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	card := queryInt(r, "card")
	if card != 0 {
		if _, err := h.svc.Card(r.Context(), a, card); err != nil {
			return err
		}
	}
	pg := newPager(r, 500)
	rs, total, err := h.svc.FindReferrals(r.Context(), a, beneficiaries.ReferralQuery{CardID: card, Side: r.URL.Query().Get("side"), Limit: pg.Limit, Offset: pg.Offset})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(rs, total, pg))
	return nil
}

func (h *cardsWeb) apiRefer(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	var in beneficiaries.ReferralInput
	if err := decode(r, &in); err != nil {
		return err
	}
	ref, err := h.svc.Refer(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ref)
	return nil
}

type respondBody struct {
	Status   string `json:"status"`
	Response string `json:"response"`
}

func (h *cardsWeb) apiRespond(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	var b respondBody
	if err := decode(r, &b); err != nil {
		return err
	}
	ref, err := h.svc.Respond(r.Context(), a, id, b.Status, b.Response)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ref)
	return nil
}

// reachBody is a reach figure with the question it answers.
type reachBody struct {
	UnitID int64    `json:"unit_id"`
	From   string   `json:"from"`
	To     string   `json:"to"`
	Types  []string `json:"types"`
	Sex    string   `json:"sex,omitempty"`
	AgeMin *int     `json:"age_min,omitempty"`
	AgeMax *int     `json:"age_max,omitempty"`
	Groups []string `json:"groups"`
	People int64    `json:"people"`
}

func (h *cardsWeb) apiReach(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	if err := a.Require(access.ViewReach); err != nil {
		return err
	}
	f := h.readReach(r.URL.Query(), a)
	if err := f.failures.Err(); err != nil {
		return err
	}
	// The figure as the caller may see it: suppressed (people 0) from 1 to MinCell-1 unless
	// the caller may open the cards behind it (beneficiaries.Exact).
	g, err := h.svc.ReachTable(r.Context(), a, f.Query, "", nil, false)
	if err != nil {
		return err
	}
	n := g.Rows[0].Total
	q := f.Query
	body := reachAnswer{reachBody{UnitID: q.UnitID, From: q.From, To: q.To, Types: q.Types, Sex: q.Sex, Groups: q.Groups, People: n.People}, n.Suppressed}
	if body.Types == nil {
		body.Types = []string{}
	}
	if body.Groups == nil {
		body.Groups = []string{}
	}
	if q.Aged {
		body.AgeMin, body.AgeMax = &q.AgeMin, &q.AgeMax
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (h *cardsWeb) apiAccessLog(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	pg := newPager(r, 100)
	entries, total, err := h.svc.AccessLog(r.Context(), a, queryInt(r, "card"), pg.Limit, pg.Offset)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(entries, total, pg))
	return nil
}
