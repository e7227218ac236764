package web

import (
	"bytes"
	"context"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// txUpload builds a multipart body with the given fields and, unless name is empty, a file.
func txUpload(t *testing.T, fields map[string]string, name string, file []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

func txCount(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const txUnitsHead = "code,level,parent_code,name_zh,name_en,tags,effective\n"

// txBadFile fails on row 3 only: its parent exists neither in the database nor in the file.
const txBadFile = txUnitsHead +
	"FXP32-A,municipal,FXP32,甲市,City A,,\n" +
	"FXP32-B,municipal,FX-NOWHERE,乙市,City B,,\n" +
	"FXP32-A-1,county,FXP32-A,甲县,County A1,,\n"

func TestTransferUploadPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		_, prov := fxProvince(t, db)
		officer := fxUser(t, db, "fxtransfer", access.ProvincialOfficer, prov.ID)
		b := app.fxLogin(t, officer.Username, fxPassword)
		units := txCount(t, db, "org_units")

		r := b.get(t, "/network/transfer", "Accept-Language", "en")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="import-form"`) || !strings.Contains(r.Body, `href="/network/export/units.xlsx"`) {
			t.Fatalf("transfer page: %d\n%s", r.Status, fxSnippet(r.Body))
		}

		// A file with one bad row: the report names row 3, the column and the rule, in the
		// user's language, and nothing is written.
		for _, lang := range []string{"en", "zh"} {
			tr := NewTr(lang)
			body, ct := txUpload(t, map[string]string{"kind": "units"}, "units.csv", []byte(txBadFile))
			r := b.do(t, http.MethodPost, "/network/import", body, ct, "Accept-Language", lang)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: status %d\n%s", lang, r.Status, fxSnippet(r.Body))
			}
			for _, want := range []string{
				tr.T("transfer.row", "Row", 3),
				tr.T("field.parent_code"),
				tr.FieldError(valid.FieldError{Field: "parent_code", Rule: "not_found"}),
				tr.T("transfer.report"),
			} {
				if !strings.Contains(r.Body, fxHTML(want)) {
					t.Errorf("%s: report lacks %q\n%s", lang, want, fxSnippet(r.Body[strings.Index(r.Body, "<main>"):]))
				}
			}
			if strings.Contains(r.Body, fxHTML(tr.T("transfer.row", "Row", 2))) || strings.Contains(r.Body, fxHTML(tr.T("transfer.row", "Row", 4))) {
				t.Errorf("%s: the report names rows that are fine", lang)
			}
		}
		if lang := NewTr("en"); !strings.Contains(lang.T("transfer.row", "Row", 3), "Row 3") || !strings.Contains(NewTr("zh").T("transfer.row", "Row", 3), "第 3 行") {
			t.Error("row labels changed")
		}
		if txCount(t, db, "org_units") != units {
			t.Fatal("a failed upload wrote units")
		}

		// The same file without the bad row, first as a dry run.
		good := strings.Replace(txBadFile, "FX-NOWHERE", "FXP32", 1)
		en := NewTr("en")
		body, ct := txUpload(t, map[string]string{"kind": "units", "dry_run": "1"}, "units.csv", []byte(good))
		r = b.do(t, http.MethodPost, "/network/import", body, ct, "Accept-Language", "en")
		if want := en.T("transfer.dry_done", "Created", 3, "Updated", 0, "Unchanged", 0); r.Status != http.StatusOK || !strings.Contains(r.Body, fxHTML(want)) {
			t.Fatalf("dry run: %d, want %q\n%s", r.Status, want, fxSnippet(r.Body))
		}
		if txCount(t, db, "org_units") != units {
			t.Fatal("a dry run wrote units")
		}
		body, ct = txUpload(t, map[string]string{"kind": "units"}, "units.csv", []byte(good))
		r = b.do(t, http.MethodPost, "/network/import", body, ct, "Accept-Language", "en")
		if want := en.T("transfer.done", "Created", 3, "Updated", 0, "Unchanged", 0); r.Status != http.StatusOK || !strings.Contains(r.Body, fxHTML(want)) {
			t.Fatalf("import: %d, want %q\n%s", r.Status, want, fxSnippet(r.Body))
		}
		if txCount(t, db, "org_units") != units+3 {
			t.Fatal("units not written")
		}

		// Form-level problems.
		body, ct = txUpload(t, map[string]string{"kind": "units"}, "", nil)
		r = b.do(t, http.MethodPost, "/network/import", body, ct, "Accept-Language", "en")
		if want := en.FieldError(valid.FieldError{Field: "file", Rule: "required"}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, fxHTML(want)) {
			t.Errorf("no file: %d, want %q", r.Status, want)
		}
		body, ct = txUpload(t, map[string]string{"kind": "units"}, "big.csv", bytes.Repeat([]byte("x"), maxUpload+1))
		r = b.do(t, http.MethodPost, "/network/import", body, ct, "Accept-Language", "en")
		if want := en.FieldError(valid.FieldError{Field: "file", Rule: "too_large", Param: maxUploadLabel}); r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, fxHTML(want)) {
			t.Errorf("large file: %d, want 413 with %q\n%s", r.Status, want, fxSnippet(r.Body))
		}
		body, ct = txUpload(t, map[string]string{"kind": "committees"}, "units.csv", []byte(good))
		if r := b.do(t, http.MethodPost, "/network/import", body, ct); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("unknown kind: %d", r.Status)
		}

		// Roles without the import permission are refused; they still export.
		evaluator := fxUser(t, db, "fxevaluator", access.Evaluator, prov.ID)
		e := app.fxLogin(t, evaluator.Username, fxPassword)
		body, ct = txUpload(t, map[string]string{"kind": "units"}, "units.csv", []byte(good))
		if r := e.do(t, http.MethodPost, "/network/import", body, ct); r.Status != http.StatusForbidden {
			t.Errorf("evaluator import: %d, want 403", r.Status)
		}
		if r := e.get(t, "/network/transfer"); r.Status != http.StatusOK || strings.Contains(r.Body, `id="import-form"`) {
			t.Errorf("evaluator page: %d, import form shown: %v", r.Status, strings.Contains(r.Body, `id="import-form"`))
		}
		if r := e.get(t, "/network/export/units.csv"); r.Status != http.StatusOK {
			t.Errorf("evaluator export: %d", r.Status)
		}
	})
}

func TestTransferExports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		nat, prov := fxProvince(t, db)
		other := fxUnit(t, db, "FXP11", org.Provincial, nat.ID, "另一省", "Other Province", "2010-06-01")
		city := fxUnit(t, db, "FXP32-C", org.Municipal, prov.ID, "测试市", "Fixture City", "2011-01-01")
		if _, err := org.New(db).CreatePartner(context.Background(), access.System, org.PartnerInput{Code: "FXP-1", UnitID: city.ID, Type: "school",
			Sector: "primary", NameZH: "测试小学", NameEN: "Fixture Primary"}); err != nil {
			t.Fatal(err)
		}
		officer := fxUser(t, db, "fxexporter", access.ProvincialOfficer, prov.ID)
		b := app.fxLogin(t, officer.Username, fxPassword)
		today := time.Now().UTC().Format(time.DateOnly)

		r := b.get(t, "/network/export/units.csv")
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("units.csv: %d %q", r.Status, r.Header.Get("Content-Type"))
		}
		if !strings.HasPrefix(r.Body, "\ufeffcode,level,parent_code,name_zh,name_en,tags,effective\r\n") {
			t.Fatalf("units.csv starts %q", r.Body[:min(60, len(r.Body))])
		}
		if !strings.Contains(r.Body, "FXP32-C,municipal,FXP32,测试市,Fixture City,,2011-01-01") || strings.Contains(r.Body, other.Code) {
			t.Fatalf("units.csv holds the wrong units:\n%s", r.Body)
		}
		_, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition"))
		if err != nil || params["filename"] != "ting-units-"+today+".csv" {
			t.Fatalf("Content-Disposition %q", r.Header.Get("Content-Disposition"))
		}

		r = b.get(t, "/network/export/partners.xlsx?root="+itoa(city.ID))
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != org.XLSXType || !strings.HasPrefix(r.Body, "PK") {
			t.Fatalf("partners.xlsx: %d %q", r.Status, r.Header.Get("Content-Type"))
		}
		if _, params, _ := mime.ParseMediaType(r.Header.Get("Content-Disposition")); params["filename"] != "ting-partners-FXP32-C-"+today+".xlsx" {
			t.Fatalf("Content-Disposition %q", r.Header.Get("Content-Disposition"))
		}
		sh, es := org.ParsePartners([]byte(r.Body), org.XLSX)
		if len(es) > 0 || len(sh.Rows) != 1 || sh.Rows[0].Code != "FXP-1" || sh.Rows[0].NameZH != "测试小学" {
			t.Fatalf("partners.xlsx: %v %+v", es, sh.Rows)
		}
		if r := b.get(t, "/network/export/partners.csv"); !strings.HasPrefix(r.Body, "\ufeff") || !strings.Contains(r.Body, "FXP-1,FXP32-C,school,primary") {
			t.Fatalf("partners.csv:\n%s", r.Body)
		}
		// Another province's subtree is not found; other file names are not routes.
		if r := b.get(t, "/network/export/units.csv?root="+itoa(other.ID)); r.Status != http.StatusNotFound {
			t.Errorf("export of another province: %d", r.Status)
		}
		if r := b.get(t, "/network/export/users.csv"); r.Status != http.StatusNotFound {
			t.Errorf("users.csv: %d", r.Status)
		}
	})
}

// txImportBody mirrors the API's answer.
type txImportBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	DryRun    bool   `json:"dry_run"`
	Errors    []struct {
		Row     int    `json:"row"`
		Field   string `json:"field"`
		Rule    string `json:"rule"`
		Message string `json:"message"`
	} `json:"errors"`
}

func TestTransferAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		nat, prov := fxProvince(t, db)
		fxUnit(t, db, "FXP11", org.Provincial, nat.ID, "另一省", "Other Province", "2010-06-01")
		officer := fxUser(t, db, "fxapiimport", access.ProvincialOfficer, prov.ID)
		c := app.fxBearer(t, fxToken(t, db, officer))
		units := txCount(t, db, "org_units")

		var body txImportBody
		r := c.do(t, http.MethodPost, "/api/v1/import/units", []byte(txBadFile), "text/csv", "Accept-Language", "zh")
		r.json(t, &body)
		zh := NewTr("zh")
		want := zh.FieldError(valid.FieldError{Row: 3, Field: "parent_code", Rule: "not_found"})
		if r.Status != http.StatusUnprocessableEntity || body.Code != "validation" || len(body.Errors) != 1 || body.Errors[0].Row != 3 ||
			body.Errors[0].Field != "parent_code" || body.Errors[0].Rule != "not_found" || body.Errors[0].Message != want || body.Message != want {
			t.Fatalf("bad file: %d %+v, want message %q", r.Status, body, want)
		}
		if !strings.Contains(want, "第 3 行") {
			t.Errorf("zh message %q does not name the row", want)
		}

		// Into another province: refused row by row, as not found.
		r = c.do(t, http.MethodPost, "/api/v1/import/units", []byte(txUnitsHead+"FXP11-X,municipal,FXP11,越界,Across,,\n"), "text/csv")
		body = txImportBody{}
		r.json(t, &body)
		if r.Status != http.StatusUnprocessableEntity || len(body.Errors) != 1 || body.Errors[0].Rule != "not_found" {
			t.Fatalf("other province: %d %+v", r.Status, body)
		}

		good := []byte(strings.Replace(txBadFile, "FX-NOWHERE", "FXP32", 1))
		r = c.do(t, http.MethodPost, "/api/v1/import/units?dry_run=true", good, "text/csv")
		body = txImportBody{}
		r.json(t, &body)
		if r.Status != http.StatusOK || !body.DryRun || body.Created != 3 || len(body.Errors) != 0 || txCount(t, db, "org_units") != units {
			t.Fatalf("dry run: %d %+v", r.Status, body)
		}
		mp, ct := txUpload(t, nil, "units.csv", good)
		r = c.do(t, http.MethodPost, "/api/v1/import/units", mp, ct)
		body = txImportBody{}
		r.json(t, &body)
		if r.Status != http.StatusOK || body.Created != 3 || body.Code != "" || txCount(t, db, "org_units") != units+3 {
			t.Fatalf("multipart: %d %+v", r.Status, body)
		}

		// Partners as an XLSX body.
		p := []byte("code,unit_code,type,name_zh,name_en\nFXP-9,FXP32-A,cso,测试组织,Fixture CSO\n")
		r = c.do(t, http.MethodPost, "/api/v1/import/partners", p, "text/csv")
		body = txImportBody{}
		r.json(t, &body)
		if r.Status != http.StatusOK || body.Created != 1 {
			t.Fatalf("partners: %d %+v", r.Status, body)
		}
		var xlsx bytes.Buffer
		if err := org.New(db).Export(context.Background(), access.System, org.PartnersFile, org.XLSX, 0, &xlsx); err != nil {
			t.Fatal(err)
		}
		r = c.do(t, http.MethodPost, "/api/v1/import/partners", xlsx.Bytes(), org.XLSXType)
		body = txImportBody{}
		r.json(t, &body)
		if r.Status != http.StatusOK || body.Unchanged != 1 || body.Created+body.Updated != 0 {
			t.Fatalf("partners xlsx: %d %+v", r.Status, body)
		}

		if r := c.sendJSON(t, http.MethodPost, "/api/v1/import/units", map[string]string{"code": "X"}); r.Status != http.StatusUnsupportedMediaType {
			t.Errorf("JSON body: %d, want 415", r.Status)
		}
		if r := c.do(t, http.MethodPost, "/api/v1/import/units", bytes.Repeat([]byte("x"), maxUpload+1), "text/csv"); r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("large body: %d, want 413", r.Status)
		}
		evaluator := fxUser(t, db, "fxapieval", access.Evaluator, prov.ID)
		if r := app.fxBearer(t, fxToken(t, db, evaluator)).do(t, http.MethodPost, "/api/v1/import/units", good, "text/csv"); r.Status != http.StatusForbidden {
			t.Errorf("evaluator: %d, want 403", r.Status)
		}
	})
}
