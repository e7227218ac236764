package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/valid"
)

// The JSON API of work plans, interventions, reports and money, documented in
// openapi/60_plans.json. Amounts are integer hundredths of the currency, as the domain keeps them.

func (h *interventionsWeb) routesPlansAPI() {
	s := h.Server
	s.handle("GET /api/v1/work-plans", s.api(h.apiWorkPlans))
	s.handle("POST /api/v1/work-plans", apiCreate(s, h.svc.CreateWorkPlan))
	s.handle("GET /api/v1/work-plans/{id}", apiGet(s, h.svc.WorkPlan))
	s.handle("GET /api/v1/work-plans/{id}/interventions", apiListOf(s, h.planInterventions))
	s.handle("POST /api/v1/work-plans/{id}/interventions", apiCreateUnder(s, h.apiInterventionCreate))
	s.handle("GET /api/v1/interventions", s.api(h.apiInterventions))
	s.handle("GET /api/v1/interventions/{id}", apiGet(s, h.svc.Intervention))
	s.handle("GET /api/v1/interventions/{id}/reports", apiListOf(s, h.svc.Reports))
	s.handle("GET /api/v1/interventions/{id}/tranches", apiListOf(s, h.svc.Tranches))
	s.handle("GET /api/v1/interventions/{id}/spending", s.api(h.apiSpending))
	s.handle("GET /api/v1/reports/{id}", apiGet(s, h.svc.Report))
	s.handle("PUT /api/v1/reports/{id}/draft", s.api(h.apiDraft))
	s.handle("POST /api/v1/reports/{id}/submit", s.api(h.apiSubmit))
	s.handle("POST /api/v1/reports/{id}/review", s.api(h.apiDecide(h.svc.Review)))
	s.handle("POST /api/v1/reports/{id}/return", s.api(h.apiDecide(h.svc.Return)))
	s.handle("POST /api/v1/reports/{id}/approve", s.api(h.apiDecide(h.svc.Approve)))
	s.handle("POST /api/v1/reports/{id}/attachments", s.api(h.apiAttach))
	s.handle("GET /api/v1/reports/{id}/attachments/{attachment}", s.api(h.apiAttachment))
	s.handle("POST /api/v1/tranches/{id}/release", s.api(h.apiRelease))
	s.handle("GET /api/v1/withheld", s.api(h.apiWithheld))
	s.handle("GET /api/v1/late-reports", s.api(h.apiLate))
	s.handle("GET /api/v1/ledger", s.api(h.apiLedger))
	s.handle("GET /api/v1/rates", s.api(h.apiRates))
	s.handle("POST /api/v1/rates", s.api(h.apiRateSet))
	s.handle("GET /api/v1/contributions", s.api(h.apiContributions))
	s.handle("POST /api/v1/contributions", s.api(h.apiContributionsImport))
}

// writeItems answers a collection as one page.
func writeItems[T any](w http.ResponseWriter, items []T) {
	writeJSON(w, http.StatusOK, newList(items, len(items), pager{Limit: len(items)}))
}

// decodeOptional reads a JSON body that may be absent: an empty body leaves v as it is.
func decodeOptional(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return valid.New("body", "json")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return decode(r, v)
}

// queryDates reads optional dates from the query.
func queryDates(r *http.Request, names ...string) ([]string, error) {
	var es valid.Errors
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = dateParam(r, n, &es)
	}
	return out, es.Err()
}

func (h *interventionsWeb) apiWorkPlans(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	ps, err := h.svc.WorkPlans(r.Context(), a)
	if err != nil {
		return err
	}
	writeItems(w, ps)
	return nil
}

// planInterventions lists a work plan's interventions, the plan being in the caller's sight.
func (h *interventionsWeb) planInterventions(ctx context.Context, a access.Actor, planID int64) ([]plans.Intervention, error) {
	if _, err := h.svc.WorkPlan(ctx, a, planID); err != nil {
		return nil, err
	}
	return h.svc.Interventions(ctx, a, planID)
}

// apiInterventionCreate creates an intervention under the work plan named by the path, which
// must be in the caller's scope.
func (h *interventionsWeb) apiInterventionCreate(ctx context.Context, a access.Actor, planID int64, in plans.InterventionPlan) (plans.Intervention, error) {
	if _, err := h.svc.WorkPlan(ctx, a, planID); err != nil {
		return plans.Intervention{}, err
	}
	in.WorkPlanID = planID
	return h.svc.CreateIntervention(ctx, a, in)
}

func (h *interventionsWeb) apiInterventions(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	ivs, err := h.svc.Interventions(r.Context(), a, queryInt(r, "work_plan"))
	if err != nil {
		return err
	}
	writeItems(w, ivs)
	return nil
}

func (h *interventionsWeb) apiSpending(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	ds, err := queryDates(r, "as_of")
	if err != nil {
		return err
	}
	sp, err := h.svc.SpendingOf(r.Context(), a, id, ds[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sp)
	return nil
}

func (h *interventionsWeb) apiDraft(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	var d plans.ReportDraft
	if err := decode(r, &d); err != nil {
		return err
	}
	rep, err := h.svc.SaveDraft(r.Context(), a, id, d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

type ivSubmitBody struct {
	Key string `json:"key"`
}

// apiSubmit submits under the Idempotency-Key header (or the body's key): a retry with the same
// key answers the report as it stands and records nothing twice.
func (h *interventionsWeb) apiSubmit(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	var b ivSubmitBody
	if err := decodeOptional(r, &b); err != nil {
		return err
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" {
		key = strings.TrimSpace(b.Key)
	}
	if len(key) > 200 {
		return valid.New("key", "max_len", "200")
	}
	rep, err := h.svc.Submit(r.Context(), a, id, key)
	if err != nil {
		return ivOverlapErrors(reqCtx(r).tr, err)
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

type ivCommentBody struct {
	Comment string `json:"comment"`
}

func (h *interventionsWeb) apiDecide(decide func(context.Context, access.Actor, int64, string) (plans.Report, error)) func(http.ResponseWriter, *http.Request, access.Actor) error {
	return func(w http.ResponseWriter, r *http.Request, a access.Actor) error {
		id, err := pathIDErr(r)
		if err != nil {
			return err
		}
		var b ivCommentBody
		if err := decodeOptional(r, &b); err != nil {
			return err
		}
		rep, err := decide(r.Context(), a, id, b.Comment)
		if err != nil {
			return ivOverlapErrors(reqCtx(r).tr, err)
		}
		writeJSON(w, http.StatusOK, rep)
		return nil
	}
}

func (h *interventionsWeb) apiAttach(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	if _, err := h.svc.Report(r.Context(), a, id); err != nil {
		return err
	}
	name, data, err := readAttachment(w, r, true)
	if err != nil {
		return err
	}
	at, err := h.svc.Attach(r.Context(), a, id, name, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, at)
	return nil
}

func (h *interventionsWeb) apiAttachment(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	att, ok := pathID(r, "attachment")
	if !ok {
		return valid.New("attachment", "not_found")
	}
	at, data, err := h.svc.AttachmentData(r.Context(), a, id, att)
	if err != nil {
		return err
	}
	serveAttachment(w, at, data)
	return nil
}

type ivReleaseBody struct {
	ReleasedOn string `json:"released_on"`
	Reference  string `json:"reference"`
}

func (h *interventionsWeb) apiRelease(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	// Who may pay is known before the body is read.
	if err := a.Require(access.ReleaseFunds); err != nil {
		return err
	}
	var b ivReleaseBody
	if err := decodeOptional(r, &b); err != nil {
		return err
	}
	t, err := h.svc.Release(r.Context(), a, id, strings.TrimSpace(b.ReleasedOn), b.Reference)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (h *interventionsWeb) apiWithheld(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	ds, err := queryDates(r, "as_of")
	if err != nil {
		return err
	}
	held, err := h.svc.WithheldAll(r.Context(), a, ds[0])
	if err != nil {
		return err
	}
	writeItems(w, held)
	return nil
}

func (h *interventionsWeb) apiLate(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	ds, err := queryDates(r, "as_of")
	if err != nil {
		return err
	}
	late, err := h.svc.LateReports(r.Context(), a, ds[0])
	if err != nil {
		return err
	}
	writeItems(w, late)
	return nil
}

func (h *interventionsWeb) apiLedger(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	ds, err := queryDates(r, "from", "to")
	if err != nil {
		return err
	}
	ledger, err := h.svc.Ledger(r.Context(), a, ds[0], ds[1])
	if err != nil {
		return err
	}
	writeItems(w, ledger)
	return nil
}

func (h *interventionsWeb) apiRates(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	if err := a.Require(access.ViewPlans); err != nil {
		return err
	}
	rates, err := h.svc.Rates(r.Context())
	if err != nil {
		return err
	}
	writeItems(w, rates)
	return nil
}

// apiRateSet records an exchange rate. Rates serve the whole programme, so only the national
// office records them here (the domain's SetRate asks for plans.edit alone).
func (h *interventionsWeb) apiRateSet(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	u, err := h.org.Unit(r.Context(), a, a.UnitID)
	if err != nil || u.Level != org.National || !a.Can(access.EditPlans) {
		return access.ErrForbidden
	}
	var rt plans.Rate
	if err := decode(r, &rt); err != nil {
		return err
	}
	if err := h.svc.SetRate(r.Context(), a, rt); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rt)
	return nil
}

// ivSummaryBody is a contributions summary with the unit and period it covers.
type ivSummaryBody struct {
	UnitID int64  `json:"unit_id"`
	From   string `json:"from"`
	To     string `json:"to"`
	plans.ContributionSummary
}

func (h *interventionsWeb) apiContributions(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	ds, err := queryDates(r, "from", "to")
	if err != nil {
		return err
	}
	unit := queryInt(r, "unit")
	if unit == 0 {
		unit = a.UnitID
	}
	from, to := ds[0], ds[1]
	if from == "" {
		from = strconv.Itoa(resFirstYear) + "-01-01"
	}
	if to == "" {
		to = h.svc.Today()
	}
	sum, err := h.svc.Contributions(r.Context(), a, unit, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ivSummaryBody{UnitID: unit, From: from, To: to, ContributionSummary: sum})
	return nil
}

// ivImportBody is a contributions import sent as JSON: the table as Ting reads it.
type ivImportBody struct {
	UnitID    int64                   `json:"unit_id"`
	Table     plans.ContributionTable `json:"table"`
	SourceRef string                  `json:"source_ref"`
	DryRun    bool                    `json:"dry_run"`
}

type ivImportAnswer struct {
	DryRun      bool                    `json:"dry_run"`
	Cells       int                     `json:"cells"`
	Differences []plans.Difference      `json:"differences"`
	Table       plans.ContributionTable `json:"table"`
}

// apiContributionsImport checks and (unless dry_run) imports a contributions table: as JSON, or
// as a multipart upload of a CSV/XLSX laid out like Annex A with unit_id, from, to, source_ref,
// dry_run and the rates (rate_cny, rate_on, rate_cur_1/rate_val_1 …) as form fields.
func (h *interventionsWeb) apiContributionsImport(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	var b ivImportBody
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, plans.MaxContributionFile+1<<20)
		if err := r.ParseMultipartForm(plans.MaxContributionFile); err != nil {
			return attachmentTooLarge(err)
		}
		b.UnitID, b.SourceRef, b.DryRun = formInt(r, "unit_id"), r.PostFormValue("source_ref"), r.PostFormValue("dry_run") == "true" || r.PostFormValue("dry_run") == "1"
		from, to := strings.TrimSpace(r.PostFormValue("from")), strings.TrimSpace(r.PostFormValue("to"))
		if es := checkContributionPeriod(from, to); len(es) > 0 {
			return es
		}
		f, _, err := r.FormFile("file")
		if err != nil {
			return valid.New("file", "required")
		}
		defer f.Close()
		if b.Table, err = plans.ParseContributionTable(f); err != nil {
			return err
		}
		rates, es := contributionRates(r, to)
		if len(es) > 0 {
			return es
		}
		b.Table.From, b.Table.To = from, to
		b.Table = withRates(b.Table, rates, to)
	} else {
		if err := decode(r, &b); err != nil {
			return err
		}
		if es := checkContributionPeriod(b.Table.From, b.Table.To); len(es) > 0 {
			return es
		}
		b.Table = withRates(b.Table, nil, b.Table.To)
	}
	diffs, cells, err := h.svc.ImportContributions(r.Context(), a, b.UnitID, b.Table, b.SourceRef, b.DryRun)
	if err != nil {
		return err
	}
	if diffs == nil {
		diffs = []plans.Difference{}
	}
	status := http.StatusOK
	if !b.DryRun {
		status = http.StatusCreated
	}
	writeJSON(w, status, ivImportAnswer{DryRun: b.DryRun, Cells: cells, Differences: diffs, Table: b.Table})
	return nil
}
