package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"ting/internal/access"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/valid"
)

// The JSON API of the results framework's administration, documented in
// openapi/45_results_admin.json.
func (h *resultsWeb) routesResultsAdminAPI() {
	s := h.Server
	s.handle("POST /api/v1/frameworks", apiCreate(s, h.svc.CreateFramework))
	s.handle("GET /api/v1/category-sets", apiAll(s, h.svc.CategorySets))
	s.handle("POST /api/v1/category-sets", s.api(h.apiCategorySetSave))
	s.handle("GET /api/v1/frameworks/{id}/rules", s.api(h.apiRules))
	s.handle("POST /api/v1/frameworks/{id}/rules", s.api(h.apiRuleSave))
	s.handle("GET /api/v1/quality", s.api(h.apiQuality))
}

// resCategorySetBody creates a category set or changes one: the categories are the set's
// whole list in order; a category is retired rather than left out.
type resCategorySetBody struct {
	Code       string             `json:"code"`
	NameZH     string             `json:"name_zh"`
	NameEN     string             `json:"name_en"`
	Categories []results.Category `json:"categories"`
}

func (h *resultsWeb) apiCategorySetSave(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	if err := resSharedEditor(a); err != nil {
		return err
	}
	var b resCategorySetBody
	if err := decode(r, &b); err != nil {
		return err
	}
	b.Code = strings.TrimSpace(b.Code)
	var es valid.Errors
	seen := map[string]bool{}
	for _, c := range b.Categories {
		if seen[c.Code] {
			es.Add("categories", "unique", c.Code)
		}
		seen[c.Code] = true
	}
	if es.Err() != nil {
		return es
	}
	status := http.StatusOK
	if _, err := h.svc.CategorySet(r.Context(), b.Code); errors.Is(err, store.ErrNotFound) {
		status = http.StatusCreated
	} else if err != nil {
		return err
	}
	set, err := h.svc.SaveCategorySet(r.Context(), a, results.CategorySet{Code: b.Code, NameZH: strings.TrimSpace(b.NameZH),
		NameEN: strings.TrimSpace(b.NameEN), Categories: b.Categories})
	if err != nil {
		return err
	}
	writeJSON(w, status, set)
	return nil
}

func (h *resultsWeb) apiRules(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	f, err := h.svc.Framework(r.Context(), a, id)
	if err != nil {
		return err
	}
	rules, err := h.svc.Rules(r.Context(), a, f.Code)
	if err != nil {
		return err
	}
	writeAll(w, rules)
	return nil
}

// resRuleBody is a rule of the framework in the path; a rule with the code of one of its
// rules replaces it.
type resRuleBody struct {
	Code       string `json:"code"`
	NameZH     string `json:"name_zh"`
	NameEN     string `json:"name_en"`
	Expression string `json:"expression"`
	Severity   string `json:"severity"`
}

func (h *resultsWeb) apiRuleSave(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	f, err := h.resRuleEditable(r.Context(), a, id)
	if err != nil {
		return err
	}
	var b resRuleBody
	if err := decode(r, &b); err != nil {
		return err
	}
	b.Code = strings.TrimSpace(b.Code)
	if err := h.resRuleCodeFree(r.Context(), a, f, b.Code); err != nil {
		return err
	}
	rules, err := h.svc.Rules(r.Context(), a, f.Code)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if slices.ContainsFunc(rules, func(x results.Rule) bool { return x.Code == b.Code }) {
		status = http.StatusOK
	}
	rl, err := h.svc.SaveRule(r.Context(), a, results.RuleInput{Code: b.Code, FrameworkCode: f.Code, NameZH: b.NameZH, NameEN: b.NameEN,
		Expression: b.Expression, Severity: b.Severity})
	if err != nil {
		return err
	}
	writeJSON(w, status, rl)
	return nil
}

func (h *resultsWeb) apiQuality(w http.ResponseWriter, r *http.Request, a access.Actor) error {
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
	if _, err := h.svc.Current(r.Context(), a, code); err != nil {
		return err
	}
	items, err := h.qualityItems(r.Context(), a, code, u, p, reqCtx(r).tr.Lang)
	if err != nil {
		return err
	}
	writeAll(w, items)
	return nil
}
