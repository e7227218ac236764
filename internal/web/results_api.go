package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"ting/internal/access"
	"ting/internal/results"
	"ting/internal/valid"
)

// The results framework's JSON API, documented in openapi/40_results.json.
func (h *resultsWeb) routesAPI() {
	s := h.Server
	s.handle("GET /api/v1/frameworks", apiAll(s, h.svc.Frameworks))
	s.handle("GET /api/v1/frameworks/{id}", apiGet(s, h.svc.Framework))
	s.handle("GET /api/v1/frameworks/{id}/elements", apiListOf(s, h.svc.Elements))
	s.handle("GET /api/v1/indicators", s.api(h.apiIndicators))
	s.handle("POST /api/v1/indicators", apiCreate(s, h.svc.CreateIndicator))
	s.handle("GET /api/v1/indicators/{id}", apiGet(s, h.svc.Indicator))
	s.handle("PATCH /api/v1/indicators/{id}", s.api(h.apiIndicatorUpdate))
	s.handle("PUT /api/v1/indicators/{id}/targets", s.api(h.apiTargetSet))
	s.handle("POST /api/v1/values", s.api(h.apiValuesSave))
	s.handle("GET /api/v1/progress", s.api(h.apiProgress))
	s.handle("GET /api/v1/progress/drill", s.api(h.apiDrill))
	s.handle("GET /api/v1/values", s.api(h.apiValues))
}

// apiIndicators lists the indicators of one framework lineage, or of every framework the
// caller sees when none is named.
func (h *resultsWeb) apiIndicators(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	ctx := r.Context()
	var codes []string
	if code := strings.TrimSpace(r.URL.Query().Get("framework")); code != "" {
		if _, err := h.svc.Current(ctx, a, code); err != nil {
			return err
		}
		codes = []string{code}
	} else {
		fws, err := h.svc.Frameworks(ctx, a)
		if err != nil {
			return err
		}
		for _, f := range fws {
			codes = append(codes, f.Code)
		}
	}
	var out []results.Indicator
	for _, c := range codes {
		inds, err := h.svc.Indicators(ctx, a, c)
		if err != nil {
			return err
		}
		out = append(out, inds...)
	}
	writeAll(w, out)
	return nil
}

// resIndicatorChange is an edited indicator with what its disaggregation change did to the
// values already stored.
type resIndicatorChange struct {
	results.Indicator
	ValuesMadeLegacy int `json:"values_made_legacy"`
	ValuesRestored   int `json:"values_restored"`
}

func (h *resultsWeb) apiIndicatorUpdate(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	cur, err := h.svc.Indicator(r.Context(), a, id)
	if err != nil {
		return err
	}
	// PATCH: absent fields keep their current values.
	in := results.IndicatorInput{Code: cur.Code, FrameworkCode: cur.FrameworkCode, ElementCode: cur.ElementCode, NameZH: cur.NameZH, NameEN: cur.NameEN,
		DefinitionZH: cur.DefinitionZH, DefinitionEN: cur.DefinitionEN, Type: cur.Type, UnitLabelZH: cur.UnitLabelZH, UnitLabelEN: cur.UnitLabelEN,
		Direction: cur.Direction, Aggregation: cur.Aggregation, Formula: cur.Formula, CategorySets: cur.CategorySets, BaselineValue: cur.BaselineValue,
		BaselineDate: cur.BaselineDate, BaselineSourceZH: cur.BaselineSourceZH, BaselineSourceEN: cur.BaselineSourceEN,
		DataSourceZH: cur.DataSourceZH, DataSourceEN: cur.DataSourceEN, Frequency: cur.Frequency, Position: cur.Position}
	if err := decode(r, &in); err != nil {
		return err
	}
	ind, legacy, restored, err := h.svc.UpdateIndicator(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resIndicatorChange{Indicator: ind, ValuesMadeLegacy: legacy, ValuesRestored: restored})
	return nil
}

type resTargetBody struct {
	UnitID int64    `json:"unit_id"`
	Period string   `json:"period"`
	Value  *float64 `json:"value"`
	Note   string   `json:"note"`
}

func (h *resultsWeb) apiTargetSet(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	var b resTargetBody
	if err := decode(r, &b); err != nil {
		return err
	}
	var es valid.Errors
	if b.UnitID == 0 {
		es.Add("unit_id", "required")
	}
	if b.Value == nil {
		es.Add("value", "required")
	}
	if strings.TrimSpace(b.Period) == "" {
		b.Period = results.LOP.Key
	}
	if es.Err() != nil {
		return es
	}
	if err := h.svc.SetTarget(r.Context(), a, id, b.UnitID, b.Period, *b.Value, strings.TrimSpace(b.Note)); err != nil {
		return err
	}
	ts, err := h.svc.Targets(r.Context(), a, id)
	if err != nil {
		return err
	}
	p, _ := results.ParsePeriod(b.Period)
	for _, t := range ts {
		if t.UnitID == b.UnitID && t.Period == p.Key {
			writeJSON(w, http.StatusOK, t)
			return nil
		}
	}
	return valid.New("unit_id", "not_found")
}

// resValuesBody is the body of POST /api/v1/values: a JSON array of values, or an object
// {"values": [...]} for clients that cannot send a bare array.
type resValuesBody []results.ValueInput

func (b *resValuesBody) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if len(data) > 0 && data[0] == '{' {
		var env struct {
			Values []results.ValueInput `json:"values"`
		}
		if err := dec.Decode(&env); err != nil {
			return err
		}
		*b = env.Values
		return nil
	}
	var list []results.ValueInput
	if err := dec.Decode(&list); err != nil {
		return err
	}
	*b = list
	return nil
}

type resSaved struct {
	Saved int `json:"saved"`
}

func (h *resultsWeb) apiValuesSave(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	var b resValuesBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if len(b) == 0 {
		return valid.New("body", "required")
	}
	n, err := h.svc.SaveValues(r.Context(), a, b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resSaved{Saved: n})
	return nil
}

// resAPIPeriod reads the period parameter, LOP by default.
func resAPIPeriod(r *http.Request) (results.Period, error) {
	return resPeriodParam(r, "period", results.LOP.Key)
}

func (h *resultsWeb) apiProgress(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	code := strings.TrimSpace(r.URL.Query().Get("framework"))
	if code == "" {
		return valid.New("framework", "required")
	}
	p, err := resAPIPeriod(r)
	if err != nil {
		return err
	}
	u, err := h.unitParam(r, a, "unit")
	if err != nil {
		return err
	}
	tab, err := h.svc.Progress(r.Context(), a, code, u, p, float64(resThresholdParam(r))/100)
	if err != nil {
		return err
	}
	if tab.Rows == nil {
		tab.Rows = []results.Row{}
	}
	writeJSON(w, http.StatusOK, tab)
	return nil
}

func (h *resultsWeb) apiDrill(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	if queryInt(r, "indicator") == 0 {
		return valid.New("indicator", "required")
	}
	p, err := resAPIPeriod(r)
	if err != nil {
		return err
	}
	u, err := h.unitParam(r, a, "unit")
	if err != nil {
		return err
	}
	rows, err := h.svc.Drill(r.Context(), a, queryInt(r, "indicator"), u, p, float64(resThresholdParam(r))/100)
	if err != nil {
		return err
	}
	writeAll(w, rows)
	return nil
}

func (h *resultsWeb) apiValues(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	if queryInt(r, "indicator") == 0 {
		return valid.New("indicator", "required")
	}
	p, err := resAPIPeriod(r)
	if err != nil {
		return err
	}
	u, err := h.unitParam(r, a, "unit")
	if err != nil {
		return err
	}
	vals, err := h.svc.Values(r.Context(), a, queryInt(r, "indicator"), u, p, reqCtx(r).tr.Lang, r.URL.Query().Get("own") == "1")
	if err != nil {
		return err
	}
	writeAll(w, vals)
	return nil
}
