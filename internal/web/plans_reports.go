package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/valid"
)

// The report page: what an agency writes into a report (narratives, indicator values per
// location, expenditure per budget line, attachments), its submission, and the officers'
// review, return and approval, with the report's history.

func (h *interventionsWeb) routesReports() {
	s := h.Server
	s.handle("GET /plans/reports/{id}", s.page(h.reportShow))
	s.handle("POST /plans/reports/{id}/draft", s.page(h.reportSave(false)))
	s.handle("POST /plans/reports/{id}/submit", s.page(h.reportSave(true)))
	s.handle("POST /plans/reports/{id}/review", s.page(h.reportDecide("review")))
	s.handle("POST /plans/reports/{id}/return", s.page(h.reportDecide("return")))
	s.handle("POST /plans/reports/{id}/approve", s.page(h.reportDecide("approve")))
	s.handle("POST /plans/reports/{id}/attachments", s.page(h.reportAttach))
	s.handle("GET /plans/reports/{id}/attachments/{attachment}", s.page(h.attachmentDownload))
}

// newSubmitKey is the idempotency key a rendered submit form carries: the same click sent twice
// (a double click, a retry on a bad connection) is one submission.
func newSubmitKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

type ivValueRow struct {
	Code, Name, Target string
	Inputs             []ivInput
}

type ivExpenseLine struct {
	N       int
	Item    string
	Budget  string
	Earlier string
	Left    string
	Shown   string // this report's amount, formatted like the others
	Input   ivInput
}

type ivEventLine struct {
	Action, From, To, Comment, Actor string
	Event                            plans.Event
}

type ivAttachmentLine struct {
	A    plans.Attachment
	Size string
}

type ivReportData struct {
	R           plans.Report
	IV          plans.Intervention
	Title       string
	Agency      string
	Kind        string
	Status      string
	CanFill     bool
	CanReview   bool
	CanReturn   bool
	CanApprove  bool
	Returned    *ivEventLine // the comment that sent the report back, while it is back
	Narratives  []ivInput
	Units       []string
	Values      []ivValueRow
	Expenditure []ivExpenseLine
	Attachments []ivAttachmentLine
	Events      []ivEventLine
	Key         string
	MaxFile     string
	F           ivForm
}

// ivNarratives are the narrative sections of a report, in the order of the form.
var ivNarratives = []string{"progress", "challenges", "lessons", "practices"}

func ivValueInput(indicatorID, unitID int64) string {
	return "value_" + itoa(indicatorID) + "_" + itoa(unitID)
}

func ivExpenseInput(lineID int64) string { return "exp_" + itoa(lineID) }

func (h *interventionsWeb) reportData(r *http.Request, a access.Actor, id int64, f ivForm) (ivReportData, error) {
	ctx := r.Context()
	tr := reqCtx(r).tr
	rep, err := h.svc.Report(ctx, a, id)
	if err != nil {
		return ivReportData{}, err
	}
	iv, err := h.svc.Intervention(ctx, a, rep.InterventionID)
	if err != nil {
		return ivReportData{}, err
	}
	editable := rep.Status == plans.StatusDraft || rep.Status == plans.StatusReturned
	officer := a.PartnerID == 0
	d := ivReportData{R: rep, IV: iv, Title: iv.Title(tr.Lang), Agency: iv.Agency(tr.Lang), Kind: tr.T("report." + rep.Kind),
		Status: tr.T("pw.status." + rep.Status), Key: newSubmitKey(), MaxFile: strconv.Itoa(plans.MaxAttachment>>20) + " MB", F: f,
		CanFill:    editable && a.Can(access.FillReports) && a.PartnerID != 0 && a.PartnerID == iv.AgencyID,
		CanReview:  officer && a.Can(access.ReviewReports) && rep.Status == plans.StatusSubmitted,
		CanReturn:  officer && (a.Can(access.ReviewReports) || a.Can(access.ApproveReports)) && (rep.Status == plans.StatusSubmitted || rep.Status == plans.StatusReviewed),
		CanApprove: officer && a.Can(access.ApproveReports) && rep.Status == plans.StatusReviewed}
	// The form shows what was typed when it comes back with errors, else what is stored.
	val := func(input, stored string) string { return f.Val("report", input, stored) }
	stored := map[string]string{"progress": rep.Progress, "challenges": rep.Challenges, "lessons": rep.Lessons, "practices": rep.Practices}
	for _, n := range ivNarratives {
		in := newIvInput(n, val(n, stored[n]))
		in.Label, in.Err = tr.T("field."+n), f.Err("report", n)
		d.Narratives = append(d.Narratives, in)
	}
	names := map[int64]string{}
	for _, u := range iv.Locations {
		d.Units = append(d.Units, h.ivUnitName(ctx, a, u, tr.Lang, names))
	}
	have := map[string]float64{}
	for _, v := range rep.Values {
		if v.Combo == "" {
			have[v.Indicator+"|"+itoa(v.UnitID)] = v.Value
		}
	}
	for _, t := range iv.Indicators {
		row := ivValueRow{Code: t.Code, Target: resNumPtr(t.Target)}
		if ind, err := h.res.IndicatorByCode(ctx, a, t.Code); err == nil {
			row.Name = ind.Name(tr.Lang)
		}
		for i, u := range iv.Locations {
			cur := ""
			if v, ok := have[t.Code+"|"+itoa(u)]; ok {
				cur = resRaw(&v)
			}
			in := newIvInput(ivValueInput(t.IndicatorID, u), val(ivValueInput(t.IndicatorID, u), cur))
			in.Label, in.Err, in.Mode = d.Units[i], f.Err("report", in.Name), "decimal"
			row.Inputs = append(row.Inputs, in)
		}
		d.Values = append(d.Values, row)
	}
	// What the earlier reports spent (those sent in: drafts do not count), per line.
	earlier := map[int64]int64{}
	reps, err := h.svc.Reports(ctx, a, iv.ID)
	if err != nil {
		return d, err
	}
	for _, o := range reps {
		if o.Seq >= rep.Seq || o.Status == plans.StatusDraft {
			continue
		}
		full, err := h.svc.Report(ctx, a, o.ID)
		if err != nil {
			return d, err
		}
		for l, v := range full.Expenditure {
			earlier[l] += v
		}
	}
	for i, lid := range iv.LineIDs {
		line := iv.Lines[i]
		cur, shown := "", ""
		if v, ok := rep.Expenditure[lid]; ok {
			cur, shown = ivMoneyInput(v), ivMoney(v)
		}
		in := newIvInput(ivExpenseInput(lid), val(ivExpenseInput(lid), cur))
		in.Label, in.Err, in.Mode = line.Item, f.Err("report", ivExpenseInput(lid)), "decimal"
		d.Expenditure = append(d.Expenditure, ivExpenseLine{N: i + 1, Item: line.Item, Budget: ivMoney(line.Amount), Earlier: ivMoney(earlier[lid]),
			Left: ivMoney(line.Amount - earlier[lid]), Shown: shown, Input: in})
	}
	for _, at := range rep.Attachments {
		d.Attachments = append(d.Attachments, ivAttachmentLine{A: at, Size: ivSize(at.Size)})
	}
	var ids []string
	for _, e := range rep.Events {
		ids = append(ids, e.Actor)
	}
	who, err := h.res.EnteredByNames(ctx, a, ids)
	if err != nil {
		who = map[string]string{}
	}
	h.nameDemoActors(ctx, tr, who, ids)
	for _, e := range rep.Events {
		line := ivEventLine{Event: e, Action: tr.T("pw.event." + e.Action), From: tr.T("pw.status." + e.From), To: tr.T("pw.status." + e.To),
			Comment: e.Comment, Actor: e.Actor}
		if n, ok := who[e.Actor]; ok {
			line.Actor = n
		}
		d.Events = append(d.Events, line)
	}
	if rep.Status == plans.StatusReturned {
		for i := len(d.Events) - 1; i >= 0; i-- {
			if d.Events[i].Event.Action == "return" {
				d.Returned = &d.Events[i]
				break
			}
		}
	}
	return d, nil
}

// ivSize says a file's size in kB or MB.
func ivSize(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	}
	return strconv.FormatInt((n+1023)/1024, 10) + " kB"
}

func (h *interventionsWeb) renderReport(w http.ResponseWriter, r *http.Request, a access.Actor, id int64, status int, f ivForm, es valid.Errors) {
	d, err := h.reportData(r, a, id, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, "plans_report", &Page{Title: d.IV.Code + " · " + d.Kind, Data: d, Errors: es})
}

func (h *interventionsWeb) reportShow(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	h.renderReport(w, r, a, id, http.StatusOK, ivForm{}, nil)
}

// draftFromForm reads the report form against the intervention's lines, indicators and
// locations. targets names, for each value given to the domain, its input.
func draftFromForm(r *http.Request, iv plans.Intervention) (plans.ReportDraft, []string, valid.Errors, map[string]valid.FieldError) {
	d := plans.ReportDraft{Progress: r.PostFormValue("progress"), Challenges: r.PostFormValue("challenges"), Lessons: r.PostFormValue("lessons"),
		Practices: r.PostFormValue("practices"), Expenditure: map[int64]int64{}}
	var es valid.Errors
	bad := map[string]valid.FieldError{}
	for i, lid := range iv.LineIDs {
		s := strings.TrimSpace(r.PostFormValue(ivExpenseInput(lid)))
		if s == "" {
			continue
		}
		v, err := plans.ParseAmount(s)
		if err != nil {
			e := valid.FieldError{Row: i + 1, Field: "amount", Rule: "amount"}
			es, bad[ivExpenseInput(lid)] = append(es, e), e
			continue
		}
		d.Expenditure[lid] = v
	}
	var targets []string
	for _, t := range iv.Indicators {
		for _, u := range iv.Locations {
			name := ivValueInput(t.IndicatorID, u)
			v, ok := resParseNum(r.PostFormValue(name))
			if !ok {
				e := valid.FieldError{Field: "value", Rule: "number"}
				es, bad[name] = append(es, e), e
				continue
			}
			if v != nil {
				d.Values = append(d.Values, plans.ReportValue{Indicator: t.Code, UnitID: u, Value: *v})
				targets = append(targets, name)
			}
		}
	}
	return d, targets, es, bad
}

// ivOverlapErrors says a refusal of a report's values for double counting (plans.OverlapError)
// in the reader's words: each report_value_overlaps failure's parameter becomes the period of the
// value already recorded, named in tr's language, and who keeps that value. Any other error is
// returned as it is.
func ivOverlapErrors(tr Tr, err error) error {
	var ov *plans.OverlapError
	if !errors.As(err, &ov) {
		return err
	}
	es := slices.Clone(ov.Errors)
	for _, o := range ov.Overlaps {
		for i := range es {
			if es[i].Rule == "report_value_overlaps" && es[i].Row == o.Row {
				es[i].Param = ivOverlapParam(tr, o)
			}
		}
	}
	return es
}

// ivOverlapParam names the recorded value a report's value would double count: its period and
// who entered it (or the office that keeps it), with the source it cites.
func ivOverlapParam(tr Tr, o plans.Overlap) string {
	period := o.Period
	if p, err := results.ParsePeriod(o.Period); err == nil {
		period = resPeriodLabel(tr, p)
	}
	who := tr.T("pw.overlap_by_office", "Office", o.Office(tr.Lang))
	if o.EnteredBy != "" {
		who = tr.T("pw.overlap_by_user", "Name", o.EnteredBy, "Office", o.Office(tr.Lang))
	}
	if o.SourceRef != "" {
		who = tr.T("pw.overlap_with_source", "Who", who, "Source", o.SourceRef)
	}
	return tr.T("pw.overlap_param", "Period", period, "Who", who)
}

// reportInput names the input a failure of the report form belongs beside.
func reportInput(e valid.FieldError, iv plans.Intervention, targets []string) string {
	switch e.Field {
	case "amount":
		if e.Row >= 1 && e.Row <= len(iv.LineIDs) {
			return ivExpenseInput(iv.LineIDs[e.Row-1])
		}
	case "indicator", "unit_id", "value", "combo":
		if e.Row >= 1 && e.Row <= len(targets) {
			return targets[e.Row-1]
		}
	}
	return e.Field
}

// reportSave saves what the agency wrote; with submit, it then sends the report for review
// under the form's idempotency key. A retry of a submission that went through finds the report
// submitted under the same key and is answered as the first was.
func (h *interventionsWeb) reportSave(submit bool) func(w http.ResponseWriter, r *http.Request, a access.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a access.Actor) {
		tr := reqCtx(r).tr
		ctx := r.Context()
		id, ok := pathID(r, "id")
		if !ok {
			h.notFound(w, r)
			return
		}
		r.ParseForm()
		rep, err := h.svc.Report(ctx, a, id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		iv, err := h.svc.Intervention(ctx, a, rep.InterventionID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		key := strings.TrimSpace(r.PostFormValue("key"))
		draft, targets, es, bad := draftFromForm(r, iv)
		if len(es) == 0 && (!submit || rep.Status == plans.StatusDraft || rep.Status == plans.StatusReturned) {
			_, err = h.svc.SaveDraft(ctx, a, id, draft)
			if vs, ok := valid.As(err); ok && submit && len(vs) == 1 && vs[0].Rule == "report_not_editable" {
				err = nil // a concurrent retry of this submission got there first; Submit decides
			}
			if err != nil {
				es, err = formErrors(err)
				if err != nil {
					h.fail(w, r, err)
					return
				}
			}
		}
		if len(es) == 0 && submit {
			_, err = h.svc.Submit(ctx, a, id, key)
			if es, err = formErrors(ivOverlapErrors(tr, err)); err != nil {
				h.fail(w, r, err)
				return
			}
			// Submit checks the stored report, whose values are in stored order.
			if len(es) > 0 {
				targets = nil
				if cur, err := h.svc.Report(ctx, a, id); err == nil {
					ids := map[string]int64{}
					for _, t := range iv.Indicators {
						ids[t.Code] = t.IndicatorID
					}
					for _, v := range cur.Values {
						targets = append(targets, ivValueInput(ids[v.Indicator], v.UnitID))
					}
				}
			}
		}
		if len(es) == 0 {
			if submit {
				h.flash(r, "pw.submitted")
			} else {
				h.flash(r, "pw.draft_saved")
			}
			http.Redirect(w, r, "/plans/reports/"+itoa(id), http.StatusSeeOther)
			return
		}
		f := newIvForm(r, "report")
		for name, e := range bad {
			f.put(name, tr.FieldError(e))
		}
		for _, e := range es {
			f.put(reportInput(e, iv, targets), tr.FieldError(e))
		}
		h.renderReport(w, r, a, id, http.StatusUnprocessableEntity, f, es)
	}
}

// reportDecide runs an officer's review, return or approval.
func (h *interventionsWeb) reportDecide(action string) func(w http.ResponseWriter, r *http.Request, a access.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a access.Actor) {
		tr := reqCtx(r).tr
		id, ok := pathID(r, "id")
		if !ok {
			h.notFound(w, r)
			return
		}
		r.ParseForm()
		comment := r.PostFormValue("comment")
		var err error
		switch action {
		case "review":
			_, err = h.svc.Review(r.Context(), a, id, comment)
		case "return":
			_, err = h.svc.Return(r.Context(), a, id, comment)
		default:
			_, err = h.svc.Approve(r.Context(), a, id, comment)
		}
		if err == nil {
			h.flash(r, "pw.decided."+action)
			http.Redirect(w, r, "/plans/reports/"+itoa(id), http.StatusSeeOther)
			return
		}
		es, err := formErrors(ivOverlapErrors(tr, err))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		f := newIvForm(r, action)
		for _, e := range es {
			f.put(e.Field, tr.FieldError(e))
		}
		h.renderReport(w, r, a, id, http.StatusUnprocessableEntity, f, es)
	}
}

// readAttachment reads an uploaded file from the multipart field "file", or, for API clients
// that post the file itself, from the body with its name in ?name=.
func readAttachment(w http.ResponseWriter, r *http.Request, raw bool) (string, []byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, plans.MaxAttachment+1<<20)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		if !raw {
			return "", nil, valid.New("file", "required")
		}
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return "", nil, attachmentTooLarge(err)
		}
		return r.URL.Query().Get("name"), data, nil
	}
	if err := r.ParseMultipartForm(plans.MaxAttachment); err != nil {
		return "", nil, attachmentTooLarge(err)
	}
	f, fh, err := r.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		return "", nil, valid.New("file", "required")
	}
	if err != nil {
		return "", nil, valid.New("file", "required")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, plans.MaxAttachment+1))
	if err != nil {
		return "", nil, err
	}
	return fh.Filename, data, nil
}

// attachmentTooLarge says a body over the limit as the domain would; other read failures are
// a malformed upload.
func attachmentTooLarge(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return valid.New("file", "file_too_large", strconv.Itoa(plans.MaxAttachment>>20)+" MB")
	}
	return valid.New("file", "required")
}

func (h *interventionsWeb) reportAttach(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	// Scope first: an upload to a report out of reach is not read at all.
	if _, err := h.svc.Report(r.Context(), a, id); err != nil {
		h.fail(w, r, err)
		return
	}
	name, data, err := readAttachment(w, r, false)
	if err == nil {
		_, err = h.svc.Attach(r.Context(), a, id, name, data)
	}
	if err == nil {
		h.flash(r, "pw.attached")
		http.Redirect(w, r, "/plans/reports/"+itoa(id)+"#attachments", http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := ivForm{Name: "attach", Errs: map[string]string{}}
	for _, e := range es {
		f.put(e.Field, tr.FieldError(e))
	}
	h.renderReport(w, r, a, id, http.StatusUnprocessableEntity, f, es)
}

// serveAttachment writes an attachment as a download: never shown inline, in the type sniffed
// at upload, and with sniffing off so a browser cannot be talked into running it.
func serveAttachment(w http.ResponseWriter, at plans.Attachment, data []byte) {
	w.Header().Set("Content-Type", at.ContentType)
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": at.Name})
	if disp == "" {
		disp = "attachment"
	}
	w.Header().Set("Content-Disposition", disp)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

func (h *interventionsWeb) attachmentDownload(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok1 := pathID(r, "id")
	att, ok2 := pathID(r, "attachment")
	if !ok1 || !ok2 {
		h.notFound(w, r)
		return
	}
	at, data, err := h.svc.AttachmentData(r.Context(), a, id, att)
	if errors.Is(err, store.ErrNotFound) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	serveAttachment(w, at, data)
}
