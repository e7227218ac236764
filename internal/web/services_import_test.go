package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"ting/internal/access"
	"ting/internal/beneficiaries"
	"ting/internal/sheet"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// siFixture is the Anhui side of fxNetwork with a caseworker who records services, two cards
// at Anhui's city, and an officer who may not record services.
type siFixture struct {
	app            *fxApp
	n              fxNet
	cw, officer    *fxClient
	cwAPI          *fxClient
	card1, card2   string
	today, lastDay string
}

func newSIFixture(t *testing.T, db *store.DB) siFixture {
	t.Helper()
	ctx := context.Background()
	x := siFixture{app: fxServer(t, db), n: fxNetwork(t, db), today: time.Now().UTC().Format(time.DateOnly)}
	x.lastDay = time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	cw := fxUser(t, db, "fxsi_case", access.Caseworker, x.n.Anhui.ID)
	officer := fxUser(t, db, "fxsi_officer", access.ProvincialOfficer, x.n.Anhui.ID)
	svc := beneficiaries.New(db, fxKeys(t))
	for _, p := range []*string{&x.card1, &x.card2} {
		c, err := svc.Register(ctx, cw.Actor(), beneficiaries.CardInput{SiteID: x.n.AnhuiCity.ID, Sex: "F", Birth: "1995", Status: "working", Name: "导入测试人", NotDuplicate: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		*p = c.Number
	}
	x.cw = x.app.fxLogin(t, cw.Username, fxPassword)
	x.cwAPI = x.cw // caseworkers hold no API tokens; their session reaches the API
	x.officer = x.app.fxBearer(t, fxToken(t, db, officer))
	return x
}

func (x siFixture) file(rows ...string) string {
	return "card,site_code,type,date,provider,partner_code,note\n" + strings.Join(rows, "\n") + "\n"
}

func (x siFixture) good() string {
	city := x.n.AnhuiCity.Code
	return x.file(x.card1+","+city+",legal_aid,"+x.lastDay+",张律师,,", x.card2+","+city+",心理辅导,"+x.today+",,,")
}

// bad fails on row 3 only (an unknown site).
func (x siFixture) bad() string {
	return x.file(x.card1+","+x.n.AnhuiCity.Code+",health,"+x.today+",,,", x.card2+",FXAH34-NOPE,health,"+x.today+",,,")
}

func TestServicesImportPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := newSIFixture(t, db)
		for _, lang := range Langs {
			tr := NewTr(lang)
			r := x.cw.get(t, "/services/import", "Accept-Language", lang)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: page %d\n%s", lang, r.Status, fxSnippet(r.Body))
			}
			for _, want := range []string{`id="import-form"`, `action="/services/import?_once=`, `href="/services/import/template.csv"`, `id="column-site_code"`,
				`<code>site_code</code> <strong class="required">(` + fxHTML(tr.T("svcimport.required")) + `)</strong>`, "服务点代码", `id="type-legal_aid"`, "法律援助", "Legal aid",
				fxHTML(tr.T("svcimport.title")), fxHTML(tr.T("svcimport.col_partner_code"))} {
				if !strings.Contains(r.Body, want) {
					t.Errorf("%s: page lacks %q", lang, want)
				}
			}
			if strings.Contains(r.Body, `<code>note</code> <strong`) {
				t.Errorf("%s: an optional column is marked required", lang)
			}
			// The cards pages lead there.
			if r := x.cw.get(t, "/cards", "Accept-Language", lang); !strings.Contains(r.Body, `href="/services/import" id="nav-services-import"`) {
				t.Errorf("%s: /cards has no link to the import", lang)
			}
		}

		// The template is a UTF-8 CSV with the header row only.
		r := x.cw.get(t, "/services/import/template.csv")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") || r.Body != "\ufeffcard,site_code,type,date,provider,partner_code,note\r\n" {
			t.Fatalf("template: %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		// The template read back is an empty file of the right columns, not a broken one.
		if _, err := beneficiaries.New(db, nil).ImportServices(context.Background(), access.System, []byte(r.Body), beneficiaries.ImportOptions{}); fmt.Sprint(err) != "file: no_rows" {
			t.Fatalf("template imported: %v", err)
		}

		// One bad row: the report names row 3, the column and the rule in the user's language,
		// and nothing is written.
		for _, lang := range Langs {
			tr := NewTr(lang)
			body, ct := txUpload(t, nil, "register.csv", []byte(x.bad()))
			r := x.cw.do(t, http.MethodPost, "/services/import", body, ct, "Accept-Language", lang)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: status %d\n%s", lang, r.Status, fxSnippet(r.Body))
			}
			for _, want := range []string{
				tr.T("svcimport.report"),
				tr.T("svcimport.row", "Row", 3),
				tr.T("svcimport.column_label", "Label", tr.T("field.site_code"), "Name", "site_code"),
				tr.FieldError(valid.FieldError{Field: "site_code", Rule: "not_found"}),
				tr.T("svcimport.file_name", "Name", "register.csv"),
			} {
				if !strings.Contains(r.Body, fxHTML(want)) {
					t.Errorf("%s: report lacks %q\n%s", lang, want, fxSnippet(r.Body[strings.Index(r.Body, "<main>"):]))
				}
			}
			if strings.Contains(r.Body, fxHTML(tr.T("svcimport.row", "Row", 2))) {
				t.Errorf("%s: the report names a row that is fine", lang)
			}
		}
		if n := txCount(t, db, "services"); n != 0 {
			t.Fatalf("a failed upload wrote %d services", n)
		}

		// A good file, first as a dry run, then for real.
		for _, lang := range Langs {
			tr := NewTr(lang)
			body, ct := txUpload(t, map[string]string{"dry_run": "1"}, "register.csv", []byte(x.good()))
			r := x.cw.do(t, http.MethodPost, "/services/import", body, ct, "Accept-Language", lang)
			if want := tr.T("svcimport.dry_done", "N", 2); r.Status != http.StatusOK || !strings.Contains(r.Body, fxHTML(want)) {
				t.Fatalf("%s: dry run %d, want %q\n%s", lang, r.Status, want, fxSnippet(r.Body))
			}
		}
		if n := txCount(t, db, "services"); n != 0 {
			t.Fatalf("a dry run wrote %d services", n)
		}
		body, ct := txUpload(t, nil, "register.csv", []byte(x.good()))
		r = x.cw.do(t, http.MethodPost, "/services/import", body, ct, "Accept-Language", "zh")
		if want := NewTr("zh").T("svcimport.done", "N", 2); r.Status != http.StatusOK || !strings.Contains(r.Body, fxHTML(want)) {
			t.Fatalf("import %d, want %q\n%s", r.Status, want, fxSnippet(r.Body))
		}
		if n := txCount(t, db, "services"); n != 2 {
			t.Fatalf("%d services written, want 2", n)
		}
		// The same register again, checked and then sent: its rows are already recorded.
		for _, dry := range []string{"1", ""} {
			tr := NewTr("en")
			done, already := "svcimport.done", "svcimport.already"
			if dry != "" {
				done, already = "svcimport.dry_done", "svcimport.dry_already"
			}
			body, ct := txUpload(t, map[string]string{"dry_run": dry}, "register.csv", []byte(x.good()))
			r = x.cw.do(t, http.MethodPost, "/services/import", body, ct, "Accept-Language", "en")
			if want := fxHTML(tr.T(done, "N", 0)) + ` <span id="import-already">` + fxHTML(tr.T(already, "N", 2)); r.Status != http.StatusOK || !strings.Contains(r.Body, want) {
				t.Fatalf("upload again (dry %q): %d, want %q\n%s", dry, r.Status, want, fxSnippet(r.Body))
			}
		}
		if n := txCount(t, db, "services"); n != 2 {
			t.Fatalf("%d services after uploading the register twice, want 2", n)
		}

		// No file; someone who may not record services.
		body, ct = txUpload(t, nil, "", nil)
		if r := x.cw.do(t, http.MethodPost, "/services/import", body, ct, "Accept-Language", "en"); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, fxHTML(NewTr("en").FieldError(valid.FieldError{Field: "file", Rule: "required"}))) {
			t.Fatalf("no file: %d\n%s", r.Status, fxSnippet(r.Body))
		}
		officer := x.app.fxLogin(t, "fxsi_officer", fxPassword)
		for _, path := range []string{"/services/import", "/services/import/template.csv"} {
			if r := officer.get(t, path); r.Status != http.StatusForbidden {
				t.Errorf("officer GET %s: %d", path, r.Status)
			}
		}
		body, ct = txUpload(t, nil, "register.csv", []byte(x.good()))
		if r := officer.do(t, http.MethodPost, "/services/import", body, ct); r.Status != http.StatusForbidden {
			t.Errorf("officer upload: %d", r.Status)
		}
		if r := officer.get(t, "/cards"); strings.Contains(r.Body, "nav-services-import") {
			t.Error("the officer is offered the import")
		}
		if n := txCount(t, db, "services"); n != 2 {
			t.Fatalf("%d services after refused uploads, want 2", n)
		}
	})
}

// siWorkbook is a services workbook with a date cell typed as Excel stores it (a serial).
func siWorkbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestServicesImportAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := newSIFixture(t, db)
		var body svcImportBody
		for _, lang := range Langs {
			tr := NewTr(lang)
			r := x.cwAPI.do(t, http.MethodPost, "/api/v1/import/services", []byte(x.bad()), "text/csv", "Accept-Language", lang)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: status %d\n%s", lang, r.Status, fxSnippet(r.Body))
			}
			body = svcImportBody{}
			r.json(t, &body)
			want := tr.T("import.row_error", "Row", 3, "Message", tr.FieldError(valid.FieldError{Field: "site_code", Rule: "not_found"}))
			if body.Code != "validation" || body.Field != "site_code" || body.Message != want || body.Rows != 2 || body.Created != 0 || len(body.Errors) != 1 {
				t.Fatalf("%s: %+v, want message %q", lang, body, want)
			}
			if e := body.Errors[0]; e.Row != 3 || e.Field != "site_code" || e.Rule != "not_found" || e.Param != "FXAH34-NOPE" || e.Message != want {
				t.Fatalf("%s: %+v", lang, e)
			}
		}
		// The type column's failures name the service type, not a partner's type.
		r := x.cwAPI.do(t, http.MethodPost, "/api/v1/import/services", []byte(x.file(x.card1+","+x.n.AnhuiCity.Code+",haircut,"+x.today+",,,")), "text/csv", "Accept-Language", "en")
		body = svcImportBody{}
		r.json(t, &body)
		if len(body.Errors) != 1 || !strings.Contains(body.Errors[0].Message, NewTr("en").T("field.service_type")) || body.Errors[0].Field != "type" {
			t.Fatalf("bad type: %s", r.Body)
		}
		if n := txCount(t, db, "services"); n != 0 {
			t.Fatalf("failed imports wrote %d services", n)
		}

		// A dry run, then the raw CSV, then a workbook as the multipart field.
		r = x.cwAPI.do(t, http.MethodPost, "/api/v1/import/services?dry_run=true", []byte(x.good()), "text/csv; charset=utf-8")
		body = svcImportBody{}
		if r.json(t, &body); r.Status != http.StatusOK || !body.DryRun || body.Created != 2 || body.Format != sheet.CSV || txCount(t, db, "services") != 0 {
			t.Fatalf("dry run: %d %+v", r.Status, body)
		}
		r = x.cwAPI.do(t, http.MethodPost, "/api/v1/import/services", []byte(x.good()), "text/csv")
		body = svcImportBody{}
		if r.json(t, &body); r.Status != http.StatusOK || body.DryRun || body.Created != 2 || body.Already != 0 || len(body.Errors) != 0 || txCount(t, db, "services") != 2 {
			t.Fatalf("import: %d %s", r.Status, r.Body)
		}
		r = x.cwAPI.do(t, http.MethodPost, "/api/v1/import/services", []byte(x.good()), "text/csv")
		body = svcImportBody{}
		if r.json(t, &body); r.Status != http.StatusOK || body.Created != 0 || body.Already != 2 || txCount(t, db, "services") != 2 {
			t.Fatalf("the same file again: %d %s", r.Status, r.Body)
		}
		serial := int(time.Now().UTC().Truncate(24*time.Hour).Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
		xlsx := siWorkbook(t, [][]any{{"卡号", "服务点代码", "服务类型", "服务日期"}, {x.card1, x.n.AnhuiCity.Code, "Peer support", serial}})
		up, ct := txUpload(t, nil, "register.xlsx", xlsx)
		r = x.cwAPI.do(t, http.MethodPost, "/api/v1/import/services", up, ct)
		body = svcImportBody{}
		if r.json(t, &body); r.Status != http.StatusOK || body.Format != sheet.XLSX || body.Created != 1 {
			t.Fatalf("workbook: %d %s", r.Status, r.Body)
		}
		// The same workbook as the raw body repeats what it recorded.
		r = x.cwAPI.do(t, http.MethodPost, "/api/v1/import/services", xlsx, sheet.XLSXType)
		body = svcImportBody{}
		if r.json(t, &body); r.Status != http.StatusOK || body.Created != 0 || body.Already != 1 || txCount(t, db, "services") != 3 {
			t.Fatalf("raw workbook: %d %s", r.Status, r.Body)
		}

		// Refusals: the media type, the size, the permission.
		for _, c := range []struct {
			client *fxClient
			body   []byte
			ctype  string
			status int
		}{
			{x.cwAPI, []byte(`{"card":"x"}`), "application/json", http.StatusUnsupportedMediaType},
			{x.cwAPI, bytes.Repeat([]byte("a"), maxUpload+1), "text/csv", http.StatusRequestEntityTooLarge},
			{x.officer, []byte(x.good()), "text/csv", http.StatusForbidden},
		} {
			r := c.client.do(t, http.MethodPost, "/api/v1/import/services", c.body, c.ctype)
			var e apiErrorBody
			if r.json(t, &e); r.Status != c.status || e.Code == "" {
				t.Errorf("%s body: %d, want %d\n%s", c.ctype, r.Status, c.status, fxSnippet(r.Body))
			}
		}
		if n := txCount(t, db, "services"); n != 3 {
			t.Fatalf("%d services after refusals, want 3", n)
		}
	})
}

// TestServiceTypeNamesMatchCatalogs holds the names an import accepts for each service type to
// the labels the interface shows for it, so the two cannot drift apart.
func TestServiceTypeNamesMatchCatalogs(t *testing.T) {
	zh, en := NewTr("zh"), NewTr("en")
	for _, code := range beneficiaries.ServiceTypes {
		n, ok := beneficiaries.ServiceTypeNames[code]
		if !ok {
			t.Errorf("%s has no import names", code)
			continue
		}
		if got := zh.T("stype." + code); got != n.ZH {
			t.Errorf("%s: the import accepts %q, the Chinese interface says %q", code, n.ZH, got)
		}
		if got := en.T("stype." + code); got != n.EN {
			t.Errorf("%s: the import accepts %q, the English interface says %q", code, n.EN, got)
		}
		for _, name := range []string{n.ZH, n.EN, code} {
			if got, ok := beneficiaries.ParseServiceType(name); !ok || got != code {
				t.Errorf("%q reads as %q, want %s", name, got, code)
			}
		}
	}
	if len(beneficiaries.ServiceTypeNames) != len(beneficiaries.ServiceTypes) {
		t.Errorf("%d import names for %d service types", len(beneficiaries.ServiceTypeNames), len(beneficiaries.ServiceTypes))
	}
}

// TestServicesImportMessages checks that every column and every rule a services import reports
// has its words in both languages (the import builds them at run time, where the catalog test's
// source scan cannot see them).
func TestServicesImportMessages(t *testing.T) {
	rules := []string{"required", "not_found", "one_of", "date", "not_future", "before_birth", "anonymised", "max_len", "missing_column",
		"unknown_column", "duplicate_column", "no_column", "no_rows", "encoding", "csv_quote", "xlsx", "too_many_errors", "too_many_rows"}
	for _, lang := range Langs {
		tr := NewTr(lang)
		for _, c := range beneficiaries.ServiceColumns() {
			for _, key := range []string{"svcimport.col_" + c.Name, "field." + c.Name} {
				if !tr.Has(key) {
					t.Errorf("%s: %s missing", lang, key)
				}
			}
		}
		for _, key := range []string{"field.file", "field.header", "field.service_type"} {
			if !tr.Has(key) {
				t.Errorf("%s: %s missing", lang, key)
			}
		}
		for _, r := range rules {
			if !tr.Has("rule." + r) {
				t.Errorf("%s: rule.%s missing", lang, r)
			}
		}
		l := svcImportLine(tr, valid.FieldError{Row: 7, Field: "type", Rule: "one_of", Param: "life_skills, legal_aid"})
		if l.Row != tr.T("svcimport.row", "Row", 7) || !strings.Contains(l.Column, tr.T("field.service_type")) || !strings.Contains(l.Column, "type") ||
			strings.Contains(l.Message, tr.T("svcimport.row", "Row", 7)) || !strings.Contains(l.Message, "legal_aid") {
			t.Errorf("%s: %+v", lang, l)
		}
		if l := svcImportLine(tr, valid.FieldError{Field: "file", Rule: "too_many_rows", Param: "1000000"}); l.Row != tr.T("svcimport.row_file") || !strings.Contains(l.Message, "1000000") {
			t.Errorf("%s: %+v", lang, l)
		}
	}
}
