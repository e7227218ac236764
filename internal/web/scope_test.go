package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// fxScopeTables are the tables a refused request must leave untouched.
var fxScopeTables = []string{"org_units", "org_unit_versions", "partners", "committees", "committee_members", "committee_meetings",
	"meeting_attendance", "meeting_decisions", "project_offices", "staff_positions", "users", "data_values", "value_rollups", "period_locks",
	"work_plans", "interventions", "intervention_locations", "budget_lines", "intervention_indicators", "reports", "report_events", "report_expenditures",
	"report_values", "report_attachments", "tranches", "disbursements", "exchange_rates", "contributions",
	"cards", "card_sequences", "card_consents", "service_sessions", "services", "referrals", "feedback", "instruments", "measurements", "card_access_log",
	"card_duplicates", "reach_bitmaps", "reach_people"}

// fxScopeWrites are the collections whose writes name a network record in their body, so a
// write to them with Jiangsu ids touches Jiangsu even when the path carries no id.
var fxScopeWrites = []string{"units", "partners", "committees", "members", "meetings", "offices", "positions", "staff", "move", "close", "users", "mappings", "frameworks",
	"cards", "sessions", "referrals", "feedback", "distinct"}

// fxScopeIDs are the Jiangsu records a route's parameters are filled with.
type fxScopeIDs struct {
	net     fxNet
	tokenID int64 // a token of the Jiangsu officer
	valueID int64 // an indicator value stored for Jiangsu's city
	userID  int64 // the Jiangsu officer
	date    string
	today   string
	// Jiangsu's work plan, an intervention under it, its first report with an attachment, and
	// its first tranche (fxScopePlans).
	planID, interventionID, reportID, attachmentID, trancheID int64
	// A beneficiary card registered at Jiangsu's city, with its consent, service and referral
	// (to Jiangsu's partner) (fxScopeCards).
	cardID, consentID, serviceID, referralID int64
	cardNumber                               string
	card2ID                                  int64 // a second Jiangsu card, a merge could fold into the first
}

// fxScopeParam fills one path wildcard. The kind of record follows from the literal segment
// before the wildcard (/committees/{id}/members/{member} → a member); a route whose wildcard
// is not known here fails the walk, so new routes cannot slip past it unchecked.
func (ids fxScopeIDs) fxScopeParam(prev, name string) (value string, record bool, ok bool) {
	n := ids.net
	id := func(v int64) (string, bool, bool) { return strconv.FormatInt(v, 10), true, true }
	switch prev {
	case "units":
		return id(n.JiangsuCity.ID)
	case "partners":
		return id(n.Partner.ID)
	case "committees":
		return id(n.Committee.ID)
	case "members":
		return id(n.Member.ID)
	case "meetings":
		return id(n.Meeting.ID)
	case "offices":
		return id(n.Office.ID)
	case "positions", "staff":
		return id(n.Position.ID)
	case "tokens":
		return id(ids.tokenID)
	case "values":
		return id(ids.valueID)
	case "users":
		return id(ids.userID)
	case "plans", "work-plans":
		return id(ids.planID)
	case "interventions":
		return id(ids.interventionID)
	case "reports":
		return id(ids.reportID)
	case "attachments":
		return id(ids.attachmentID)
	case "tranches":
		return id(ids.trancheID)
	case "cards":
		return id(ids.cardID)
	case "consents":
		return id(ids.consentID)
	case "services":
		return id(ids.serviceID)
	case "referrals":
		return id(ids.referralID)
	case "as-of":
		return ids.date, false, true
	case "lang":
		return "en", false, true
	case "frameworks", "indicators":
		// Frameworks and indicators are not bound to a province (a provincial officer works
		// under the national ones), and the fixture has none: an id that names nothing must be
		// answered without error or leak.
		return "999999999", false, true
	}
	switch name {
	case "date":
		return ids.date, false, true
	case "lang":
		return "en", false, true
	}
	return "", false, false
}

// fxScopeRequest is one request of the walk.
type fxScopeRequest struct {
	route  string
	method string
	url    string
	api    bool
	record bool // touches a Jiangsu record: must be refused
	form   url.Values
	json   any
	raw    []byte // a file upload: sent as is with contentType
	ctype  string
	// import reports refuse rows with 422 and a row-by-row report rather than 404
	import422 bool
}

func (ids fxScopeIDs) fxScopeRequests(method, pattern string, api bool) ([]fxScopeRequest, error) {
	if method == "" {
		method = http.MethodGet
	}
	route := method + " " + pattern
	segs := strings.Split(pattern, "/")
	out := make([]string, len(segs))
	record := false
	lastLiteral := ""
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") {
			out[i] = seg
			if seg != "" {
				lastLiteral = seg
			}
			continue
		}
		name := strings.TrimSuffix(strings.Trim(seg, "{}"), "...")
		if name == "$" {
			continue
		}
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		v, rec, ok := ids.fxScopeParam(prev, name)
		if !ok {
			return nil, fmt.Errorf("route %q: the scope walk does not know which Jiangsu record fills {%s} after %q: add it to fxScopeParam", route, name, prev)
		}
		out[i] = v
		record = record || rec
	}
	path := strings.Join(out, "/")
	n := ids.net
	jsCity := strconv.FormatInt(n.JiangsuCity.ID, 10)
	base := fxScopeRequest{route: route, method: method, url: path, api: api, record: record}

	if method == http.MethodGet || method == http.MethodHead {
		if strings.HasSuffix(path, "/new") {
			// Forms for new records name where the record will sit.
			base.url += "?" + url.Values{"parent": {jsCity}, "unit": {jsCity}}.Encode()
			base.record = true
			return []fxScopeRequest{base}, nil
		}
		if record {
			return []fxScopeRequest{base}, nil
		}
		// A listing: once as is, once filtered to Jiangsu.
		filtered := base
		filtered.url += "?" + url.Values{"unit": {jsCity}, "root": {strconv.FormatInt(n.Jiangsu.ID, 10)}}.Encode()
		return []fxScopeRequest{base, filtered}, nil
	}

	if slices.Contains(fxScopeWrites, lastLiteral) {
		base.record = true
	}
	if strings.Contains(pattern, "/import") {
		return ids.fxScopeImports(base, lastLiteral)
	}
	if api {
		body, err := ids.fxScopeJSON(lastLiteral)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", route, err)
		}
		base.json = body
		base.record = true
	} else {
		base.form = ids.fxScopeForm()
	}
	return []fxScopeRequest{base}, nil
}

// fxScopeImports are uploads that place new records in Jiangsu and rewrite Jiangsu's own
// records by their codes.
func (ids fxScopeIDs) fxScopeImports(base fxScopeRequest, kind string) ([]fxScopeRequest, error) {
	files := map[string]string{
		"units": "code,level,parent_code,name_zh,name_en\n" +
			"FXAH-X1,county," + fxJSCityCode + ",越界测试,Cross scope attempt\n" +
			fxJSCityCode + ",municipal," + fxJSCode + ",越界改名,Cross scope rename\n",
		"partners": "code,unit_code,type,name_zh,name_en\n" +
			"FXAH-X2," + fxJSCityCode + ",cso,越界测试,Cross scope attempt\n" +
			fxJSPartnerCode + "," + fxJSCityCode + ",womens_federation,越界改名,Cross scope rename\n",
		// A service to Jiangsu's card at Jiangsu's city by Jiangsu's partner.
		"services": "card,site_code,type,date,partner_code\n" + ids.cardNumber + "," + fxJSCityCode + ",health," + ids.today + "," + fxJSPartnerCode + "\n",
	}
	base.record, base.import422 = true, true
	if base.api {
		f, ok := files[kind]
		if !ok {
			return nil, fmt.Errorf("route %q: the scope walk has no file for imports of %q: add one to fxScopeImports", base.route, kind)
		}
		base.raw, base.ctype = []byte(f), "text/csv"
		return []fxScopeRequest{base}, nil
	}
	// The network's upload page takes either file, named by its kind field; the services page
	// takes services.
	kinds := []string{"units", "partners"}
	if strings.HasPrefix(strings.TrimPrefix(base.route, base.method+" "), "/services/") {
		kinds = []string{"services"}
	}
	var out []fxScopeRequest
	for _, k := range kinds {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("kind", k)
		fw, err := mw.CreateFormFile("file", k+".csv")
		if err != nil {
			return nil, err
		}
		fw.Write([]byte(files[k]))
		mw.Close()
		rq := base
		rq.raw, rq.ctype = buf.Bytes(), mw.FormDataContentType()
		out = append(out, rq)
	}
	return out, nil
}

// fxScopeForm is one form that serves every page's POST: each field a handler might read,
// every reference pointing into Jiangsu.
func (ids fxScopeIDs) fxScopeForm() url.Values {
	n := ids.net
	s := func(v int64) []string { return []string{strconv.FormatInt(v, 10)} }
	return url.Values{
		"parent_id": s(n.Jiangsu.ID), "unit_id": s(n.JiangsuCity.ID), "partner_id": s(n.Partner.ID), "committee_id": s(n.Committee.ID),
		"office_id": s(n.Office.ID), "member_id": s(n.Member.ID), "meeting_id": s(n.Meeting.ID), "position_id": s(n.Position.ID),
		"present": s(n.Member.ID), "code": {"FXAH-X1"}, "level": {"county"}, "name_zh": {"越界测试"}, "name_en": {"Cross scope attempt"},
		"effective": {ids.today}, "type": {"cso"}, "kind": {"provincial"}, "active": {"1"}, "person_name": {"越界测试人"},
		"role": {"member"}, "since": {ids.today}, "until": {ids.today}, "held_on": {ids.today}, "established_on": {ids.today},
		"location": {"x"}, "decision": {"x"}, "title": {"npo"}, "holder": {"越界测试人"}, "start_on": {ids.today}, "end_on": {ids.today},
		"name": {"fx cross scope"}, "username": {"fxcross"}, "display_name": {"FX cross"}, "password": {"cross-scope-password"},
		"next": {"/units/" + strconv.FormatInt(n.JiangsuCity.ID, 10)}, "site_id": s(n.JiangsuCity.ID), "reason": {"service"}, "purpose": {"referral"}, "given_by": {"self"}, "given_on": {ids.today},
		"withdrawn_on": {ids.today}, "date": {ids.today}, "status": {"accepted"}, "response": {"x"}, "rating": {"4"}, "service_type": {"health"},
		"card": s(ids.cardID), "other": s(ids.card2ID),
	}
}

// fxScopeJSON is the API body for a write to collection (the last literal path segment). The
// API refuses unknown fields and some updates want every field, so each shape is the full
// record of its endpoint.
func (ids fxScopeIDs) fxScopeJSON(collection string) (map[string]any, error) {
	n := ids.net
	switch collection {
	case "units":
		return map[string]any{"code": "FXAH-X1", "level": "county", "parent_id": n.JiangsuCity.ID, "name_zh": "越界测试", "name_en": "Cross scope attempt",
			"effective": ids.today}, nil
	case "move":
		return map[string]any{"parent_id": n.Jiangsu.ID, "effective": ids.today}, nil
	case "close":
		return map[string]any{"effective": ids.today}, nil
	case "partners":
		return map[string]any{"code": "FXAH-X1", "unit_id": n.JiangsuCity.ID, "type": "cso", "name_zh": "越界测试", "name_en": "Cross scope attempt"}, nil
	case "committees":
		return map[string]any{"unit_id": n.JiangsuCity.ID, "name_zh": "越界测试", "name_en": "Cross scope attempt", "established_on": ids.today}, nil
	case "members":
		return map[string]any{"person_name": "越界测试人", "title": "", "partner_id": n.Partner.ID, "role": "member", "since": ids.today, "until": ""}, nil
	case "meetings":
		return map[string]any{"held_on": ids.today, "location": "x", "present": []int64{n.Member.ID}, "decisions": []map[string]any{{"text": "x"}}}, nil
	case "offices":
		return map[string]any{"unit_id": n.JiangsuCity.ID, "kind": "provincial", "name_zh": "越界测试", "name_en": "Cross scope attempt"}, nil
	case "positions", "staff":
		return map[string]any{"title": "npo", "holder": "越界测试人", "funded_by": "", "start_on": ids.today, "end_on": "", "note": ""}, nil
	case "indicators":
		return map[string]any{"code": "FXAH-X1", "framework_code": fxJSCode + "-LF", "element_code": "O1", "name_zh": "越界测试", "name_en": "Cross scope attempt",
			"type": "count", "aggregation": "sum", "category_sets": []string{}}, nil
	case "targets":
		return map[string]any{"unit_id": n.JiangsuCity.ID, "period": "LOP", "value": 1, "note": ""}, nil
	case "values":
		return map[string]any{"values": []map[string]any{{"indicator": "FXAH-X1", "unit_id": n.JiangsuCity.ID, "period": "2012-06", "value": 1}}}, nil
	case "dataValueSets":
		return map[string]any{"dataValues": []map[string]any{{"dataElement": "fxIndicator", "orgUnit": "fxJiangsuOU", "period": "201206", "value": "1"}}}, nil
	case "mappings":
		return map[string]any{"kind": "unit", "ting_code": n.JiangsuCity.Code, "dhis2_uid": "fxAnhuiMap1"}, nil
	case "frameworks":
		return map[string]any{"code": "FXAH-X1", "unit_id": n.JiangsuCity.ID, "name_zh": "越界测试", "name_en": "Cross scope attempt"}, nil
	case "category-sets":
		// Disaggregations are shared by the whole network: a province may not change them.
		return map[string]any{"code": "fxcross", "name_zh": "越界测试", "name_en": "Cross scope attempt",
			"categories": []map[string]any{{"code": "x", "name_zh": "越界", "name_en": "cross"}}}, nil
	case "locks", "release":
		return map[string]any{"unit_id": n.JiangsuCity.ID, "period": "2012Q2"}, nil
	case "rules":
		return map[string]any{"code": "FXAH-X1", "name_zh": "越界测试", "name_en": "Cross scope attempt", "expression": "#{FXAH-X1} >= 0"}, nil
	case "work-plans":
		return map[string]any{"unit_id": n.Jiangsu.ID, "year": 2013, "title_zh": "越界测试", "title_en": "Cross scope attempt"}, nil
	case "interventions":
		return map[string]any{"code": "FXAH-X1", "title_zh": "越界测试", "title_en": "Cross scope attempt", "agency_id": n.Partner.ID,
			"locations": []int64{n.JiangsuCity.ID}, "rules": map[string]any{"format": "service_contract", "start_on": "2012-01-01", "end_on": "2012-06-30",
				"advance_share": 3000, "budget": []map[string]any{{"item": "x", "currency": "CNY", "amount": 100}}}}, nil
	case "draft":
		return map[string]any{"progress": "越界测试", "expenditure": map[string]int64{}, "values": []any{}}, nil
	case "submit":
		return map[string]any{"key": "fx-cross-scope"}, nil
	case "review", "return", "approve":
		return map[string]any{"comment": "越界测试"}, nil
	case "attachments":
		return map[string]any{"name": "x.txt"}, nil
	case "rates":
		return map[string]any{"currency": "CNY", "per_usd": "6.3", "on": ids.today}, nil
	case "cards":
		return map[string]any{"site_id": n.JiangsuCity.ID, "sex": "F", "birth": "1996", "ethnicity": "", "groups": []string{}, "home_unit_id": 0, "current_unit_id": 0,
			"status": "working", "name": "越界测试人", "id_number": "", "phone": "", "address": "", "guardian": "", "not_duplicate": true}, nil
	case "identify":
		return map[string]any{"reason": "service"}, nil
	case "merge":
		return map[string]any{"duplicate_id": ids.card2ID}, nil
	case "distinct":
		return map[string]any{"card_id": ids.cardID, "other_id": ids.card2ID}, nil
	case "consents":
		return map[string]any{"purpose": "referral", "given_by": "self", "giver": "", "given_on": ids.today}, nil
	case "withdraw":
		return map[string]any{"withdrawn_on": ids.today}, nil
	case "services":
		return map[string]any{"site_id": n.JiangsuCity.ID, "type": "health", "date": ids.today, "provider": "x", "note": "x"}, nil
	case "measurements":
		return map[string]any{"instrument": fxScopeInstrument, "kind": "end", "date": ids.today, "answers": map[string]string{"q1": "b"}}, nil
	case "sessions":
		return map[string]any{"site_id": n.JiangsuCity.ID, "type": "health", "date": ids.today, "title": "x", "provider": "", "attendees": []string{ids.cardNumber}}, nil
	case "referrals":
		return map[string]any{"card_id": ids.cardID, "to_unit_id": n.AnhuiCity.ID, "service_type": "health", "reason": "x"}, nil
	case "respond":
		return map[string]any{"status": "accepted", "response": "x"}, nil
	case "contributions":
		return map[string]any{"unit_id": n.JiangsuCity.ID, "table": map[string]any{"from": "2012-01-01", "to": "2012-06-30", "currency": "CNY",
			"rows": []map[string]any{{"category": "utilities", "amounts": map[string]int64{"local": 100}}}}}, nil
	}
	return nil, fmt.Errorf("the scope walk has no JSON body for writes to %q: add one to fxScopeJSON", collection)
}

func fxCountRows(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tbl := range fxScopeTables {
		var n int
		if err := db.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+tbl).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tbl, err)
		}
		out[tbl] = n
	}
	return out
}

// fxScopeRules are the refusals a 422 may give for Jiangsu records named in a body: no such
// record in the caller's area, or (for codes, which are unique across the country) the code
// is taken or lies outside the area.
var fxScopeRules = []string{"not_found", "unique", "outside_scope"}

// fxRefusedAsNotFound reports whether an API 422 refuses only for fxScopeRules, which leak
// nothing the caller did not send.
func fxRefusedAsNotFound(t *testing.T, r fxResp) bool {
	var body apiErrorBody
	r.json(t, &body)
	if body.Code != "validation" || len(body.Errors) == 0 {
		return false
	}
	for _, e := range body.Errors {
		if !slices.Contains(fxScopeRules, e.Rule) {
			return false
		}
	}
	return true
}

// fxJiangsuSnapshot reads Jiangsu's records as the system sees them, to prove a walk changed
// none of them (row counts alone miss updates).
func fxJiangsuSnapshot(t *testing.T, db *store.DB, n fxNet) string {
	t.Helper()
	ctx, svc, a := context.Background(), org.New(db), access.System
	var parts []any
	add := func(v any, err error) {
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		parts = append(parts, v)
	}
	add(svc.Unit(ctx, a, n.Jiangsu.ID))
	add(svc.Unit(ctx, a, n.JiangsuCity.ID))
	add(svc.History(ctx, a, n.JiangsuCity.ID))
	add(svc.Partner(ctx, a, n.Partner.ID))
	add(svc.Committee(ctx, a, n.Committee.ID))
	add(svc.Members(ctx, a, n.Committee.ID))
	add(svc.Meeting(ctx, a, n.Meeting.ID))
	add(svc.Office(ctx, a, n.Office.ID))
	add(svc.Staff(ctx, a, n.Office.ID))
	b, err := json.Marshal(parts)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fxScopeValue stores an indicator value for Jiangsu's city (and a framework and indicator to
// hold it) and returns its id.
func fxScopeValue(t *testing.T, db *store.DB, n fxNet) int64 {
	t.Helper()
	ctx := context.Background()
	svc := results.New(db)
	sys := access.System
	if _, err := svc.CreateFramework(ctx, sys, results.FrameworkInput{Code: "FXSCOPE", UnitID: n.National.ID, NameZH: "范围测试框架", NameEN: "Scope fixture logframe"}); err != nil {
		t.Fatal(err)
	}
	fw, err := svc.Current(ctx, sys, "FXSCOPE")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddElement(ctx, sys, fw.ID, results.ElementInput{Kind: "development_objective", Code: "DO", NameZH: "目标", NameEN: "Objective"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateIndicator(ctx, sys, results.IndicatorInput{Code: "FXSCOPE-1", FrameworkCode: "FXSCOPE", ElementCode: "DO", NameZH: "人数", NameEN: "People",
		Type: "count", Aggregation: "sum"}); err != nil {
		t.Fatal(err)
	}
	v := 7.0
	if _, err := svc.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "FXSCOPE-1", UnitID: n.JiangsuCity.ID, Period: "2012-05", Value: &v}}); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.R.QueryRowContext(ctx, "SELECT id FROM data_values WHERE unit_id = $1", n.JiangsuCity.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// fxScopePlans records in Jiangsu a work plan, an intervention (with the indicator of
// fxScopeValue) whose first report carries an attachment, and notes their ids and the first
// tranche's in ids. Codes and titles carry the Jiangsu markers so that a leak shows.
func fxScopePlans(t *testing.T, db *store.DB, ids *fxScopeIDs) {
	t.Helper()
	ctx := context.Background()
	n := ids.net
	svc := plans.New(db)
	p, err := svc.CreateWorkPlan(ctx, access.System, plans.WorkPlanInput{UnitID: n.Jiangsu.ID, Year: 2012, TitleZH: fxJSZH + "工作计划", TitleEN: fxJSEN + " work plan"})
	if err != nil {
		t.Fatal(err)
	}
	iv, err := svc.CreateIntervention(ctx, access.System, plans.InterventionPlan{WorkPlanID: p.ID, Code: fxJSCode + "-SC1", TitleZH: fxJSZH + "服务合同",
		TitleEN: fxJSEN + " service contract", AgencyID: n.Partner.ID, Locations: []int64{n.JiangsuCity.ID}, Indicators: []plans.TargetInput{{Code: "FXSCOPE-1"}},
		Rules: plans.InterventionInput{Format: plans.ServiceContract, StartOn: "2012-01-01", EndOn: "2012-06-30", AdvanceShare: 3000,
			Budget: []plans.BudgetLine{{Item: fxJSZH + "培训", Currency: "CNY", Amount: 1_000_000}}}})
	if err != nil {
		t.Fatal(err)
	}
	reps, err := svc.Reports(ctx, access.System, iv.ID)
	if err != nil || len(reps) == 0 {
		t.Fatalf("Jiangsu reports: %v %v", reps, err)
	}
	agency := access.Actor{PublicID: "fx_js_agency", Role: access.AgencyReporter, UnitID: n.JiangsuCity.ID, UnitPath: n.JiangsuCity.Path, PartnerID: n.Partner.ID}
	if _, err := svc.SaveDraft(ctx, agency, reps[0].ID, plans.ReportDraft{Progress: fxJSZH + "进展", Expenditure: map[int64]int64{iv.LineIDs[0]: 500_000}}); err != nil {
		t.Fatal(err)
	}
	at, err := svc.Attach(ctx, agency, reps[0].ID, "fx.txt", []byte(fxJSEN+" attachment\n"))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := svc.Tranches(ctx, access.System, iv.ID)
	if err != nil || len(ts) == 0 {
		t.Fatalf("Jiangsu tranches: %v %v", ts, err)
	}
	ids.planID, ids.interventionID, ids.reportID, ids.attachmentID, ids.trancheID = p.ID, iv.ID, reps[0].ID, at.ID, ts[0].ID
}

// fxScopeInstrument is the measurement instrument of fxScopeCards (instruments are national).
const fxScopeInstrument = "FXSCOPE-M"

// fxScopeCase is a caseworker of Jiangsu: the role that registers cards and records services.
func fxScopeCase(n fxNet) access.Actor {
	return access.Actor{PublicID: "fx_js_case", Username: "fx_js_case", Role: access.Caseworker, UnitID: n.Jiangsu.ID, UnitPath: n.Jiangsu.Path}
}

// fxScopeCards registers a card at Jiangsu's city with consent to services and referral, one
// service, a referral to Jiangsu's partner, a baseline measurement and a piece of feedback whose
// comment carries a Jiangsu marker, and notes their ids in ids.
func fxScopeCards(t *testing.T, db *store.DB, ids *fxScopeIDs) {
	t.Helper()
	ctx := context.Background()
	n := ids.net
	svc := beneficiaries.New(db, fxKeys(t))
	cw := fxScopeCase(n)
	if _, err := svc.SaveInstrument(ctx, access.Actor{PublicID: "fx_nat", Role: access.NationalOfficer, UnitID: n.National.ID, UnitPath: n.National.Path},
		beneficiaries.Instrument{Code: fxScopeInstrument, NameZH: "范围测试问卷", NameEN: "Scope fixture questionnaire", Questions: []beneficiaries.Question{{Code: "q1", TextZH: "问题",
			TextEN: "Question", Options: []beneficiaries.Option{{Code: "a", LabelZH: "甲", LabelEN: "A", Score: 0}, {Code: "b", LabelZH: "乙", LabelEN: "B", Score: 1}}}}}); err != nil {
		t.Fatal(err)
	}
	c, err := svc.Register(ctx, cw, beneficiaries.CardInput{SiteID: n.JiangsuCity.ID, Sex: "F", Birth: "1996-05-01", Status: "working", Name: fxJSMember + "之女",
		Groups: []string{"young_woman_worker"}}, []beneficiaries.ConsentInput{{Purpose: "services", GivenBy: "self", GivenOn: ids.today},
		{Purpose: "referral", GivenBy: "self", GivenOn: ids.today}})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := svc.Register(ctx, cw, beneficiaries.CardInput{SiteID: n.JiangsuCity.ID, Sex: "F", Birth: "1995", Status: "working", Name: fxJSHolder + "之女"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids.card2ID = c2.ID
	// Changed into a likely duplicate of the first card: the pair waits, open, for Jiangsu.
	if _, err := svc.Update(ctx, cw, c2.ID, beneficiaries.CardInput{Sex: "F", Birth: "1996-05-01", Status: "working", Name: fxJSMember + "之女"}); err != nil {
		t.Fatal(err)
	}
	cs, err := svc.Consents(ctx, cw, c.ID)
	if err != nil || len(cs) != 2 {
		t.Fatalf("consents %v %v", cs, err)
	}
	sv, err := svc.AddService(ctx, cw, beneficiaries.ServiceInput{CardID: c.ID, SiteID: n.JiangsuCity.ID, Type: "legal_aid", Date: ids.today, Provider: fxJSPartnerZH})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := svc.Refer(ctx, cw, beneficiaries.ReferralInput{CardID: c.ID, ToPartnerID: n.Partner.ID, ServiceType: "legal_aid", Reason: fxJSZH + "转介"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RecordMeasurement(ctx, cw, beneficiaries.MeasurementInput{CardID: c.ID, Instrument: fxScopeInstrument, Kind: "baseline", Date: ids.today,
		Answers: map[string]string{"q1": "a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddFeedback(ctx, cw, beneficiaries.FeedbackInput{SiteID: n.JiangsuCity.ID, ServiceType: "legal_aid", Date: ids.today, Rating: 4,
		Comment: fxJSZH + "的意见"}); err != nil {
		t.Fatal(err)
	}
	ids.cardID, ids.cardNumber, ids.consentID, ids.serviceID, ids.referralID = c.ID, c.Number, cs[1].ID, sv.ID, ref.ID
}

// fxCardsSnapshot reads the Jiangsu card and what hangs on it, as its own caseworker sees them.
func fxCardsSnapshot(t *testing.T, db *store.DB, ids fxScopeIDs) string {
	t.Helper()
	ctx, svc, cw := context.Background(), beneficiaries.New(db, fxKeys(t)), fxScopeCase(ids.net)
	var parts []any
	add := func(v any, err error) {
		if err != nil {
			t.Fatalf("cards snapshot: %v", err)
		}
		parts = append(parts, v)
	}
	add(svc.Card(ctx, cw, ids.cardID))
	add(svc.Consents(ctx, cw, ids.cardID))
	add(svc.Services(ctx, cw, ids.cardID))
	add(svc.Referrals(ctx, cw, ids.cardID))
	add(svc.Measurements(ctx, cw, ids.cardID))
	add(svc.Card(ctx, cw, ids.card2ID))
	b, err := json.Marshal(parts)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestScopeWalk requests every route as the Anhui provincial officer with Jiangsu's records and
// expects each to be refused without leaking or writing anything; then proves the same requests
// reach the records for the Jiangsu officer, so the refusals are about scope and not a broken
// fixture.
func TestScopeWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		app := fxServer(t, db)
		n := fxNetwork(t, db)
		jsUser := fxUser(t, db, "fxjs_officer", access.ProvincialOfficer, n.Jiangsu.ID)
		ahUser := fxUser(t, db, "fxah_officer", access.ProvincialOfficer, n.Anhui.ID)
		admin := fxUser(t, db, "fxnat_admin", access.NationalAdmin, n.National.ID)
		jsSecret := fxToken(t, db, jsUser)
		toks, err := auth.New(db).Tokens(ctx, jsUser.Actor())
		if err != nil || len(toks) != 1 {
			t.Fatalf("Jiangsu officer's tokens: %v %v", toks, err)
		}
		markers := append(slices.Clone(fxJiangsuMarkers), jsUser.Username)

		ids := fxScopeIDs{net: n, tokenID: toks[0].ID, userID: jsUser.ID, date: "2012-06-30", today: time.Now().UTC().Format(time.DateOnly),
			valueID: fxScopeValue(t, db, n)}
		fxScopePlans(t, db, &ids)
		fxScopeCards(t, db, &ids)
		markers = append(markers, ids.cardNumber)
		jsCase := fxUser(t, db, "fxjs_case", access.Caseworker, n.Jiangsu.ID)
		ah := app.fxLogin(t, ahUser.Username, fxPassword)
		ahAPI := app.fxBearer(t, fxToken(t, db, ahUser))
		js := app.fxLogin(t, jsUser.Username, fxPassword)
		jsAPI := app.fxBearer(t, jsSecret)
		adm := app.fxLogin(t, admin.Username, fxPassword)
		admAPI := app.fxBearer(t, fxToken(t, db, admin))
		cw := app.fxLogin(t, jsCase.Username, fxPassword)
		cwAPI := cw // caseworkers hold no API tokens; their session reaches the API

		send := func(c *fxClient, rq fxScopeRequest) fxResp {
			t.Helper()
			switch {
			case rq.raw != nil:
				return c.do(t, rq.method, rq.url, rq.raw, rq.ctype)
			case rq.json != nil:
				return c.sendJSON(t, rq.method, rq.url, rq.json)
			case rq.form != nil:
				return c.postForm(t, rq.url, rq.form)
			}
			return c.do(t, rq.method, rq.url, nil, "")
		}

		before, snapshot, cards := fxCountRows(t, db), fxJiangsuSnapshot(t, db, n), fxCardsSnapshot(t, db, ids)
		var refusedGets []fxScopeRequest
		walked := 0
		for _, rt := range app.srv.Routes() {
			reqs, err := ids.fxScopeRequests(rt.Method, rt.Path, rt.API)
			if err != nil {
				t.Error(err)
				continue
			}
			for _, rq := range reqs {
				walked++
				c := ah
				if rq.api {
					c = ahAPI
				}
				r := send(c, rq)
				what := fmt.Sprintf("%s (%s %s) as the Anhui officer", rq.route, rq.method, rq.url)
				// Echoing what the request itself sent (a code in an uploaded file) is no leak.
				var sent []string
				for _, m := range markers {
					if !strings.Contains(string(rq.raw), m) {
						sent = append(sent, m)
					}
				}
				if leaks := fxLeaks(r.Body, sent); len(leaks) > 0 {
					t.Errorf("%s: status %d, response shows Jiangsu's %q", what, r.Status, leaks)
				}
				// A PDF needs a CJK font the machine may lack; it then answers 503 saying so,
				// which leaks nothing (the leak check above still ran).
				if r.Status == http.StatusServiceUnavailable && strings.HasSuffix(strings.SplitN(rq.url, "?", 2)[0], ".pdf") && !fxHavePDFFont() {
					continue
				}
				if r.Status >= 500 {
					t.Errorf("%s: status %d\n%s", what, r.Status, fxSnippet(r.Body))
					continue
				}
				if rq.record {
					refused := r.Status == http.StatusForbidden || r.Status == http.StatusNotFound ||
						rq.api && r.Status == http.StatusUnprocessableEntity && fxRefusedAsNotFound(t, r) ||
						!rq.api && rq.import422 && r.Status == http.StatusUnprocessableEntity ||
						// DHIS2's own answer to a refused all-or-nothing import: 409 with status ERROR.
						rq.api && strings.HasSuffix(rq.url, "/dataValueSets") && r.Status == http.StatusConflict && strings.Contains(string(r.Body), `"status":"ERROR"`)
					if !refused {
						t.Errorf("%s: status %d, want 403 or 404 (Location %q)\n%s", what, r.Status, r.location(), fxSnippet(r.Body))
					} else if rq.method == http.MethodGet {
						refusedGets = append(refusedGets, rq)
					}
				}
				if rt.Method+" "+rt.Path == "POST /logout" {
					ah.fxSignIn(t, ahUser.Username, fxPassword)
					continue
				}
				if !rq.api && r.Status == http.StatusSeeOther && strings.HasPrefix(r.location(), "/login") {
					t.Fatalf("%s: redirected to %s: the session was lost and the rest of the walk would prove nothing", what, r.location())
				}
			}
		}
		if after := fxCountRows(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("the Anhui officer's walk changed rows:\nbefore %v\nafter  %v", before, after)
		}
		if after := fxJiangsuSnapshot(t, db, n); after != snapshot {
			t.Errorf("the Anhui officer's walk changed Jiangsu's records:\nbefore %s\nafter  %s", snapshot, after)
		}
		if after := fxCardsSnapshot(t, db, ids); after != cards {
			t.Errorf("the Anhui officer's walk changed Jiangsu's card:\nbefore %s\nafter  %s", cards, after)
		}
		if walked < 20 || len(refusedGets) < 8 {
			t.Fatalf("the walk covered %d requests and %d refused reads: the route list looks wrong", walked, len(refusedGets))
		}

		// Every read refused to Anhui is open to Jiangsu's own officer (or, for admin pages, the
		// national admin; for the forms that record services, Jiangsu's caseworker).
		for _, rq := range refusedGets {
			cs := []*fxClient{js, adm, cw}
			if rq.api {
				cs = []*fxClient{jsAPI, admAPI, cwAPI}
			}
			var last fxResp
			for _, c := range cs {
				if last = send(c, rq); last.Status == http.StatusOK {
					break
				}
			}
			if last.Status != http.StatusOK {
				t.Errorf("%s (%s): status %d for the Jiangsu officer, the national admin and Jiangsu's caseworker, want 200: the fixture does not reach this route\n%s",
					rq.route, rq.url, last.Status, fxSnippet(last.Body))
			}
		}
		// The listings that showed Anhui nothing of Jiangsu do show it to Jiangsu.
		for _, p := range []struct {
			c    *fxClient
			path string
		}{{js, "/partners"}, {js, "/units/" + strconv.FormatInt(n.Jiangsu.ID, 10)}, {jsAPI, "/api/v1/units"}, {jsAPI, "/api/v1/partners"},
			{js, "/network/export/units.xlsx"}, {js, "/reach/export.xlsx?unit=" + strconv.FormatInt(n.Jiangsu.ID, 10)}} {
			r := p.c.get(t, p.path)
			if r.Status != http.StatusOK || len(fxLeaks(r.Body, markers)) == 0 {
				t.Errorf("GET %s as the Jiangsu officer: status %d, no Jiangsu record shown\n%s", p.path, r.Status, fxSnippet(r.Body))
			}
		}
	})
}

// fxHavePDFFont reports whether this machine has a font the PDF reports can embed.
func fxHavePDFFont() bool {
	_, err := biFont()
	return err == nil
}

// TestScopeServicesImport imports services as a caseworker of Anhui (the walk's officer may not
// record services at all) from files naming Jiangsu's site, card or partner: nothing is written,
// and the page and the API answer exactly as for a code that names nothing. Jiangsu's own
// caseworker then imports the same rows, so the refusal is about scope.
func TestScopeServicesImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		app := fxServer(t, db)
		n := fxNetwork(t, db)
		today := time.Now().UTC().Format(time.DateOnly)
		ahCase := fxUser(t, db, "fxah_case", access.Caseworker, n.Anhui.ID)
		jsCase := fxUser(t, db, "fxjs_case", access.Caseworker, n.Jiangsu.ID)
		svc := beneficiaries.New(db, fxKeys(t))
		register := func(a access.Actor, site int64) string {
			t.Helper()
			c, err := svc.Register(ctx, a, beneficiaries.CardInput{SiteID: site, Sex: "F", Birth: "1996", Status: "working", Name: "范围测试人"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return c.Number
		}
		ahCard := register(ahCase.Actor(), n.AnhuiCity.ID)
		jsCard := register(jsCase.Actor(), n.JiangsuCity.ID)
		markers := append(slices.Clone(fxJiangsuMarkers), jsCard)
		file := func(card, site, partner string) string {
			return "card,site_code,type,date,partner_code\n" + card + "," + site + ",health," + today + "," + partner + "\n"
		}
		// report is the part of a page that answers the upload.
		report := func(body string) string {
			i := strings.Index(body, `<section id="import-report"`)
			if i < 0 {
				return ""
			}
			j := strings.Index(body[i:], "</section>")
			if j < 0 {
				return ""
			}
			return body[i : i+j]
		}
		ah := app.fxLogin(t, ahCase.Username, fxPassword)
		before := fxCountRows(t, db)
		const nowhere = "FXNOWHERE-99"
		for _, c := range []struct{ name, file, named string }{
			{"site", file(ahCard, fxJSCityCode, ""), fxJSCityCode},
			{"card", file(jsCard, n.AnhuiCity.Code, ""), jsCard},
			{"partner", file(ahCard, n.AnhuiCity.Code, fxJSPartnerCode), fxJSPartnerCode},
		} {
			unknown := strings.ReplaceAll(c.file, c.named, nowhere)
			var unsent []string
			for _, m := range markers {
				if !strings.Contains(c.file, m) {
					unsent = append(unsent, m)
				}
			}
			for _, lang := range Langs {
				what := fmt.Sprintf("Jiangsu's %s as the Anhui caseworker (%s)", c.name, lang)
				api := ah.do(t, http.MethodPost, "/api/v1/import/services", []byte(c.file), "text/csv", "Accept-Language", lang)
				apiUnknown := ah.do(t, http.MethodPost, "/api/v1/import/services", []byte(unknown), "text/csv", "Accept-Language", lang)
				body, ct := txUpload(t, nil, "services.csv", []byte(c.file))
				page := ah.do(t, http.MethodPost, "/services/import", body, ct, "Accept-Language", lang)
				body, ct = txUpload(t, nil, "services.csv", []byte(unknown))
				pageUnknown := ah.do(t, http.MethodPost, "/services/import", body, ct, "Accept-Language", lang)
				if api.Status != http.StatusUnprocessableEntity || page.Status != http.StatusUnprocessableEntity || !fxRefusedAsNotFound(t, api) {
					t.Errorf("%s: API %d, page %d\n%s", what, api.Status, page.Status, fxSnippet(api.Body))
				}
				if got, want := strings.ReplaceAll(api.Body, c.named, nowhere), apiUnknown.Body; got != want {
					t.Errorf("%s: the API answers\n%s\nbut for a code that names nothing\n%s", what, got, want)
				}
				if got, want := report(page.Body), report(pageUnknown.Body); got == "" || got != want {
					t.Errorf("%s: the page reports\n%s\nbut for a code that names nothing\n%s", what, got, want)
				}
				for _, r := range []fxResp{api, page} {
					if leaks := fxLeaks(r.Body, unsent); len(leaks) > 0 {
						t.Errorf("%s: the answer shows %q", what, leaks)
					}
				}
			}
		}
		if after := fxCountRows(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("refused imports changed rows:\nbefore %v\nafter  %v", before, after)
		}
		js := app.fxLogin(t, jsCase.Username, fxPassword)
		r := js.do(t, http.MethodPost, "/api/v1/import/services", []byte(file(jsCard, fxJSCityCode, fxJSPartnerCode)), "text/csv")
		var res svcImportBody
		if r.json(t, &res); r.Status != http.StatusOK || res.Created != 1 {
			t.Fatalf("Jiangsu's caseworker: %d\n%s", r.Status, fxSnippet(r.Body))
		}
	})
}
