package web

import (
	"mime"
	"net/http"
	"slices"

	"ting/internal/access"
	"ting/internal/beneficiaries"
	"ting/internal/sheet"
	"ting/internal/valid"
)

// routesServicesImport registers the import of services from spreadsheets: the page with its
// column list and template, the upload, and the API. Everything goes through
// beneficiaries.ImportServices, which checks permission and scope.
func (s *Server) routesServicesImport() {
	h := &cardsWeb{Server: s, svc: s.cardsService()}
	s.handle("GET /services/import", s.page(h.servicesImportPage))
	s.handle("GET /services/import/template.csv", s.page(h.servicesImportTemplate))
	s.handle("POST /services/import", s.page(h.servicesImportUpload))
	s.handle("POST /api/v1/import/services", s.api(h.apiImportServices))
}

// svcImportType is one service type as the page lists it: its code and both names.
type svcImportType struct {
	Code   string
	ZH, EN string
}

type svcImportData struct {
	Columns  []sheet.Column
	Types    []svcImportType
	MaxRows  int
	MaxSize  string
	DryRun   bool
	FileName string
	Result   *beneficiaries.ImportResult
	Report   []reportLine
}

func newSvcImportData() svcImportData {
	d := svcImportData{Columns: beneficiaries.ServiceColumns(), MaxRows: beneficiaries.MaxImportRows, MaxSize: maxUploadLabel}
	for _, code := range beneficiaries.ServiceTypes {
		n := beneficiaries.ServiceTypeNames[code]
		d.Types = append(d.Types, svcImportType{Code: code, ZH: n.ZH, EN: n.EN})
	}
	return d
}

// servicesImportPage explains the file and offers the template and the upload form.
func (h *cardsWeb) servicesImportPage(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.EditCards); err != nil {
		h.fail(w, r, err)
		return
	}
	d := newSvcImportData()
	h.render(w, r, http.StatusOK, "services_import", &Page{Title: reqCtx(r).tr.T("svcimport.title"), Data: &d})
}

// servicesImportTemplate serves an empty services file: the header row in the column names
// the import reads in either language, with a byte-order mark so spreadsheet programs read it
// as UTF-8.
func (h *cardsWeb) servicesImportTemplate(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.EditCards); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "ting-services-template.csv"}))
	w.Header().Set("Cache-Control", "no-store")
	if err := sheet.WriteCSV(w, sheet.Names(beneficiaries.ServiceColumns()), func() ([]string, error) { return nil, nil }); err != nil {
		h.log.Error("services template", "err", err)
	}
}

// servicesImportUpload runs an upload and shows its report or its summary on the page.
func (h *cardsWeb) servicesImportUpload(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	if err := a.Require(access.EditCards); err != nil {
		h.fail(w, r, err)
		return
	}
	d := newSvcImportData()
	page := &Page{Title: tr.T("svcimport.title"), Data: &d}
	up, name, es, status, err := formUpload(w, r)
	d.FileName, d.DryRun = name, up.dryRun
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if es != nil {
		page.Errors = es
		h.render(w, r, status, "services_import", page)
		return
	}
	res, err := h.svc.ImportServices(r.Context(), a, up.data, beneficiaries.ImportOptions{Format: up.format, DryRun: d.DryRun})
	if _, ok := valid.As(err); err != nil && !ok {
		h.fail(w, r, err)
		return
	}
	d.Result = &res
	status = http.StatusOK
	if len(res.Errors) > 0 {
		status = http.StatusUnprocessableEntity
		for _, e := range res.Errors {
			d.Report = append(d.Report, svcImportLine(tr, e))
		}
	}
	h.render(w, r, status, "services_import", page)
}

// svcImportColumns are the columns of a services file; a failure on any other field names the
// header row or the file as a whole.
var svcImportColumns = sheet.Names(beneficiaries.ServiceColumns())

// svcImportLine is one failure as the report table shows it: the row, the column by its label
// and its name in the file, and the message.
func svcImportLine(tr Tr, e valid.FieldError) reportLine {
	l := reportLine{Row: tr.T("svcimport.row_file"), Column: tr.T("field." + e.Field)}
	if e.Row > 0 {
		l.Row = tr.T("svcimport.row", "Row", e.Row)
	}
	if slices.Contains(svcImportColumns, e.Field) {
		l.Column = tr.T("svcimport.column_label", "Label", svcImportLabel(tr, e.Field), "Name", e.Field)
	}
	l.Message = ServicesImportMessage(tr, e)
	return l
}

// svcImportLabel is a column's label: the type column is the service type, not a partner's
// or a unit's.
func svcImportLabel(tr Tr, field string) string {
	if field == "type" {
		field = "service_type"
	}
	return tr.T("field." + field)
}

// ServicesImportMessage says one failure of a services import in tr's language, without its
// row (reports show the row apart). The command line's report uses it too.
func ServicesImportMessage(tr Tr, e valid.FieldError) string {
	e.Row = 0
	if e.Field == "type" {
		e.Field = "service_type"
	}
	return tr.FieldError(e)
}

// servicesImportSay is a failure with its row, as the API's messages carry it.
func servicesImportSay(tr Tr, e valid.FieldError) string {
	msg := ServicesImportMessage(tr, e)
	if e.Row > 0 {
		return tr.T("import.row_error", "Row", e.Row, "Message", msg)
	}
	return msg
}

// svcImportBody is the API's answer to a services import. When rows fail it is also the API's
// error shape: code, message and field describe the first failure.
type svcImportBody struct {
	Code    string       `json:"code,omitempty"`
	Message string       `json:"message,omitempty"`
	Field   string       `json:"field,omitempty"`
	Format  sheet.Format `json:"format"`
	DryRun  bool         `json:"dry_run"`
	Rows    int          `json:"rows"`
	Created int          `json:"created"`
	Already int          `json:"already_recorded"`
	Errors  []importFail `json:"errors"`
}

// apiImportServices takes the file as multipart field "file" or as the raw body (text/csv or
// the XLSX type) and answers the import's counts, with 422 and every row's failure when any
// fails.
func (h *cardsWeb) apiImportServices(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	if err := a.Require(access.EditCards); err != nil {
		return err
	}
	tr := reqCtx(r).tr
	up, done, err := apiUpload(w, r)
	if done || err != nil {
		return err
	}
	res, err := h.svc.ImportServices(r.Context(), a, up.data, beneficiaries.ImportOptions{Format: up.format, DryRun: up.dryRun})
	if _, ok := valid.As(err); err != nil && !ok {
		return err
	}
	body := svcImportBody{Format: res.Format, DryRun: res.DryRun, Rows: res.Rows, Created: res.Created, Already: res.Skipped, Errors: []importFail{}}
	for _, e := range res.Errors {
		body.Errors = append(body.Errors, importFail{Row: e.Row, Field: e.Field, Rule: e.Rule, Param: e.Param, Message: servicesImportSay(tr, e)})
	}
	status := http.StatusOK
	if len(body.Errors) > 0 {
		status = http.StatusUnprocessableEntity
		body.Code, body.Message, body.Field = "validation", body.Errors[0].Message, body.Errors[0].Field
	}
	writeJSON(w, status, body)
	return nil
}
