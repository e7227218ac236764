package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/valid"
)

// The data-entry form: one row per indicator of a framework for one unit and period, with an
// input per category of each disaggregation. It saves all-or-nothing; on failure every typed
// value comes back with its message beside its input.

// resEntryInput is one input of the entry form.
type resEntryInput struct {
	Name  string // form field name
	ID    string // HTML id
	Label string
	Value string
	Err   string
	Max   int // the most characters it takes, 0 for a number
}

type resEntrySet struct {
	Name   string
	Inputs []resEntryInput
}

type resEntryRow struct {
	Indicator   results.Indicator
	Name        string
	Element     string
	Computed    bool
	Kind        string // number, rate, yesno or text
	Total       resEntryInput
	Numerator   resEntryInput
	Denominator resEntryInput
	Text        resEntryInput
	Comment     resEntryInput
	Sets        []resEntrySet
	Legacy      int // stored values whose combination the indicator no longer has
}

type resEntryData struct {
	Frameworks   []results.Framework
	Framework    results.Framework
	HasFramework bool
	Unit         org.Unit
	Units        []resOption
	Period       results.Period
	PeriodLabel  string
	Periods      []resOption
	PrevYear     string
	NextYear     string
	Rows         []resEntryRow
	Source       string
	SourceRef    string
	MaxSourceRef int
	Sources      []string
	Problems     []string
	CanEnter     bool
	Locked       string // the lock closing this unit and period, if any, as a label
	LockKey      string // its period key
	LockUnit     int64  // the unit it was set on
	CanLock      bool

	// Broken are the validation rules the values stored here for this period break (warnings,
	// which do not refuse an entry, and errors broken by values older than the rule), said on
	// the form as soon as the values are saved.
	Broken []resBrokenRule
}

// resBrokenRule is a validation rule the stored values break, with both sides of its comparison.
type resBrokenRule struct {
	Code, Name, Severity string
	Left, Op, Right      string
	LeftText, RightText  string
}

// resEntryKinds are the periods values are entered for.
var resEntryKinds = []string{results.Month, results.Tertile, results.Quarter}

// resEntryField names the inputs: v<id> the total, v<id>.<set>:<category> a category,
// n/d<id> numerator and denominator, t<id> text, c<id> comment.
func resEntryField(prefix string, id int64, combo string) resEntryInput {
	name := prefix + itoa(id)
	if combo != "" {
		name += "." + combo
	}
	htmlID := "in-" + strings.NewReplacer(".", "-", ":", "-", "+", "plus", " ", "-").Replace(name)
	return resEntryInput{Name: name, ID: htmlID}
}

func resEntryKind(ind results.Indicator) string {
	switch ind.Type {
	case "percent", "ratio":
		return "rate"
	case "yesno", "text":
		return ind.Type
	}
	return "number"
}

// entryData builds the form for the framework, unit and period in the query (or, after a
// failed save, in the posted form). typed holds the submitted values, nil on a fresh form.
func (h *resultsWeb) entryData(r *http.Request, a access.Actor, q url.Values, typed url.Values) (resEntryData, error) {
	ctx := r.Context()
	tr := reqCtx(r).tr
	d := resEntryData{Sources: []string{"entry", "report"}, Source: "entry", CanEnter: a.Can(access.EnterValues), MaxSourceRef: results.MaxSourceRef}
	var err error
	if d.Frameworks, err = h.svc.Frameworks(ctx, a); err != nil {
		return d, err
	}
	code := strings.TrimSpace(q.Get("framework"))
	if code == "" && len(d.Frameworks) > 0 {
		code = d.Frameworks[0].Code
	}
	uid := resQueryInt(q, "unit_id")
	if uid == 0 {
		uid = resQueryInt(q, "unit")
	}
	if uid == 0 {
		uid = a.UnitID
	}
	if d.Unit, err = h.org.Unit(ctx, a, uid); err != nil {
		return d, err
	}
	key := strings.TrimSpace(q.Get("period"))
	if key == "" {
		key = h.dateToday()[:7] // this month
	}
	if d.Period, err = results.ParsePeriod(key); err != nil || d.Period.Kind == results.LifeOfProj {
		return d, valid.New("period", "period")
	}
	d.PeriodLabel = resPeriodLabel(tr, d.Period)
	if lock, lockUnit, locked, err := h.svc.Locked(ctx, a, d.Unit.ID, d.Period); err != nil {
		return d, err
	} else if locked {
		if p, err := results.ParsePeriod(lock); err == nil {
			d.Locked = resPeriodLabel(tr, p)
		}
		d.LockKey, d.LockUnit = lock, lockUnit
		d.CanEnter = false
	}
	d.CanLock = a.Can(access.EditResults)
	d.Periods = resPeriodOptions(tr, h.dateToday(), d.Period, resEntryKinds...)
	d.PrevYear, d.NextYear = resShiftYear(d.Period, -1), resShiftYear(d.Period, 1)
	if d.Units, err = h.unitChoices(ctx, a, d.Unit, tr.Lang); err != nil {
		return d, err
	}
	if code == "" {
		return d, nil
	}
	if d.Framework, err = h.svc.Current(ctx, a, code); err != nil {
		return d, err
	}
	d.HasFramework = true
	if typed != nil {
		d.Source, d.SourceRef = typed.Get("source"), typed.Get("source_ref")
	} else {
		broken, err := h.svc.Broken(ctx, a, d.Framework.Code, d.Unit, d.Period)
		if err != nil {
			return d, err
		}
		for _, v := range broken {
			d.Broken = append(d.Broken, resBrokenRule{Code: v.Rule.Code, Name: v.Rule.Name(tr.Lang), Severity: v.Rule.Severity,
				Left: resNum(v.Left), Op: v.Op, Right: resNum(v.Right), LeftText: v.LeftText, RightText: v.RightTxt})
		}
	}
	stored := map[int64]map[string]results.StoredValue{}
	legacy := map[int64]int{}
	vals, err := h.svc.UnitValues(ctx, a, d.Unit, d.Period.Key)
	if err != nil {
		return d, err
	}
	for _, v := range vals {
		if v.Legacy {
			legacy[v.IndicatorID]++
			continue
		}
		if stored[v.IndicatorID] == nil {
			stored[v.IndicatorID] = map[string]results.StoredValue{}
		}
		stored[v.IndicatorID][v.Combo] = v
	}
	elements, err := h.svc.Elements(ctx, a, d.Framework.ID)
	if err != nil {
		return d, err
	}
	inds, err := h.svc.Indicators(ctx, a, d.Framework.Code)
	if err != nil {
		return d, err
	}
	// Rows follow the framework's tree; indicators on elements this version lacks come last.
	placed := map[int64]bool{}
	var ordered []results.Indicator
	elName := map[string]string{}
	for _, e := range elements {
		elName[e.Code] = e.Code + " " + e.Name(tr.Lang)
		for _, ind := range inds {
			if ind.ElementCode == e.Code {
				ordered = append(ordered, ind)
				placed[ind.ID] = true
			}
		}
	}
	for _, ind := range inds {
		if !placed[ind.ID] {
			ordered = append(ordered, ind)
		}
	}
	names := h.comboNamer(ctx, tr)
	for _, ind := range ordered {
		row := resEntryRow{Indicator: ind, Name: ind.Name(tr.Lang), Element: elName[ind.ElementCode], Computed: ind.Computed(),
			Kind: resEntryKind(ind), Legacy: legacy[ind.ID]}
		have := stored[ind.ID]
		fill := func(in resEntryInput, def string) resEntryInput {
			if typed != nil {
				in.Value = typed.Get(in.Name)
			} else {
				in.Value = def
			}
			return in
		}
		total := have[""]
		row.Total = fill(resEntryField("v", ind.ID, ""), resRaw(total.Value))
		row.Total.Label = tr.T("results.total")
		row.Numerator = fill(resEntryField("n", ind.ID, ""), resRaw(total.Numerator))
		row.Denominator = fill(resEntryField("d", ind.ID, ""), resRaw(total.Denominator))
		row.Numerator.Label, row.Denominator.Label = tr.T("field.numerator"), tr.T("field.denominator")
		row.Text = fill(resEntryField("t", ind.ID, ""), total.Text)
		row.Text.Label, row.Text.Max = tr.T("field.text"), results.MaxText
		row.Comment = fill(resEntryField("c", ind.ID, ""), total.Comment)
		row.Comment.Label, row.Comment.Max = tr.T("results.comment"), results.MaxComment
		if row.Kind != "text" {
			for _, code := range ind.CategorySets {
				set, ok := names.set(code)
				if !ok {
					continue
				}
				es := resEntrySet{Name: resName(tr.Lang, set.NameZH, set.NameEN, set.Code)}
				for _, c := range set.Categories {
					if c.Retired {
						continue
					}
					combo := set.Code + ":" + c.Code
					in := fill(resEntryField("v", ind.ID, combo), resRaw(have[combo].Value))
					in.Label = resName(tr.Lang, c.NameZH, c.NameEN, c.Code)
					es.Inputs = append(es.Inputs, in)
				}
				row.Sets = append(row.Sets, es)
			}
		}
		d.Rows = append(d.Rows, row)
	}
	return d, nil
}

func resQueryInt(q url.Values, name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(q.Get(name)), 10, 64)
	return n
}

func (h *resultsWeb) badPeriod(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusBadRequest, "error", &Page{Title: reqCtx(r).tr.T("results.bad_request"), Data: "results.bad_period"})
}

func (h *resultsWeb) entryForm(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	d, err := h.entryData(r, a, r.URL.Query(), nil)
	if _, bad := valid.As(err); bad {
		h.badPeriod(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "results_entry", &Page{Title: tr.T("results.entry_title"), Data: d})
}

// resEntryTarget is where a value of the batch came from on the form, to put its errors back.
type resEntryTarget struct {
	row   int    // index into the form's rows
	value string // the input holding the value
}

func (h *resultsWeb) entrySave(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	if err := a.Require(access.EnterValues); err != nil {
		h.fail(w, r, err)
		return
	}
	r.ParseForm()
	d, err := h.entryData(r, a, r.PostForm, r.PostForm)
	if _, bad := valid.As(err); bad {
		h.badPeriod(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !d.HasFramework {
		h.notFound(w, r)
		return
	}
	source := strings.TrimSpace(r.PostFormValue("source"))
	sourceRef := strings.TrimSpace(r.PostFormValue("source_ref"))
	var batch []results.ValueInput
	var targets []resEntryTarget
	inputErr := map[string]valid.FieldError{}
	num := func(in resEntryInput) *float64 {
		v, ok := resParseNum(in.Value)
		if !ok {
			inputErr[in.Name] = valid.FieldError{Field: "value", Rule: "number"}
		}
		return v
	}
	for i, row := range d.Rows {
		if row.Computed {
			continue
		}
		base := results.ValueInput{Indicator: row.Indicator.Code, UnitID: d.Unit.ID, Period: d.Period.Key, Source: source, SourceRef: sourceRef}
		total := base
		total.Comment = strings.TrimSpace(row.Comment.Value)
		has := false
		switch row.Kind {
		case "text":
			total.Text = strings.TrimSpace(row.Text.Value)
			has = total.Text != ""
		case "rate":
			total.Numerator, total.Denominator = num(row.Numerator), num(row.Denominator)
			if total.Numerator == nil && total.Denominator == nil {
				total.Value = num(row.Total)
			}
			has = total.Numerator != nil || total.Denominator != nil || total.Value != nil
		default:
			total.Value = num(row.Total)
			has = total.Value != nil
		}
		if has {
			batch = append(batch, total)
			targets = append(targets, resEntryTarget{row: i, value: row.Total.Name})
		}
		for _, set := range row.Sets {
			for _, in := range set.Inputs {
				v := num(in)
				if v == nil {
					continue
				}
				vi := base
				vi.Combo = strings.TrimPrefix(in.Name, row.Total.Name+".")
				vi.Value = v
				batch = append(batch, vi)
				targets = append(targets, resEntryTarget{row: i, value: in.Name})
			}
		}
	}
	if len(inputErr) == 0 && len(batch) == 0 {
		inputErr[""] = valid.FieldError{Field: "value", Rule: "required"}
	}
	// Every cell is judged in one round: the boxes the page could not read as numbers, and the
	// service's rules on all the others (checked without writing when some box is unreadable).
	// Nothing is written unless every cell passes.
	if len(batch) > 0 {
		if len(inputErr) == 0 {
			_, err = h.svc.SaveValues(r.Context(), a, batch)
			if err == nil {
				h.flash(r, "results.entry_saved")
				http.Redirect(w, r, "/results/entry?"+url.Values{"framework": {d.Framework.Code}, "unit": {itoa(d.Unit.ID)}, "period": {d.Period.Key}}.Encode(),
					http.StatusSeeOther)
				return
			}
		} else {
			_, err = h.svc.CheckValues(r.Context(), a, batch)
		}
		es, err := formErrors(err)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		var rules []results.Rule
		for _, e := range es {
			if e.Row < 1 || e.Row > len(targets) {
				inputErr["#"+e.Field] = e
				continue
			}
			t := targets[e.Row-1]
			name := t.value
			row := d.Rows[t.row]
			switch e.Field {
			case "numerator":
				name = row.Numerator.Name
			case "denominator":
				name = row.Denominator.Name
			case "text":
				name = row.Text.Name
			case "comment":
				name = row.Comment.Name
			case "unit_id", "period", "source", "source_ref", "indicator":
				// Wrong for the whole form, not for one input.
				name = "#" + e.Field
			}
			if e.Rule == "validation_rule" {
				// A stored rule relates several values; its row is only the first of its unit
				// and period, so it is said above the form rather than beside one input, by
				// its name in the reader's language before its code and comparison.
				name = "#rule " + e.Param
				code, _, _ := strings.Cut(e.Param, ":")
				if rules == nil {
					if rules, err = h.svc.Rules(r.Context(), a, d.Framework.Code); err != nil {
						h.fail(w, r, err)
						return
					}
				}
				if i := slices.IndexFunc(rules, func(x results.Rule) bool { return x.Code == code }); i >= 0 {
					e.Param = rules[i].Name(tr.Lang) + " — " + e.Param
				}
			}
			e.Row = 0
			if _, dup := inputErr[name]; !dup {
				inputErr[name] = e
			}
		}
	}
	// Put each message beside its input and list them above the form, in the form's order.
	mark := func(in *resEntryInput, label string) {
		if e, ok := inputErr[in.Name]; ok {
			in.Err = tr.FieldError(e)
			d.Problems = append(d.Problems, tr.T("results.entry_problem", "Label", label, "Message", in.Err))
			delete(inputErr, in.Name)
		}
	}
	for i := range d.Rows {
		row := &d.Rows[i]
		mark(&row.Total, row.Name)
		mark(&row.Numerator, row.Name+" · "+tr.T("field.numerator"))
		mark(&row.Denominator, row.Name+" · "+tr.T("field.denominator"))
		mark(&row.Text, row.Name)
		mark(&row.Comment, row.Name+" · "+tr.T("results.comment"))
		for j := range row.Sets {
			for k := range row.Sets[j].Inputs {
				in := &row.Sets[j].Inputs[k]
				mark(in, row.Name+" · "+row.Sets[j].Name+": "+in.Label)
			}
		}
	}
	for _, e := range inputErr {
		e.Row = 0
		d.Problems = append(d.Problems, tr.FieldError(e))
	}
	h.render(w, r, http.StatusUnprocessableEntity, "results_entry", &Page{Title: tr.T("results.entry_title"), Data: d})
}
