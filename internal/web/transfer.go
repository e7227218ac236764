package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/valid"
)

// maxUpload bounds an import file. A national network of units and partners is well under a
// megabyte as CSV; the margin covers XLSX overhead.
const maxUpload = 10 << 20

// maxUploadLabel is maxUpload as users read it.
const maxUploadLabel = "10 MiB"

// routesTransfer registers CSV/XLSX import and export of units and partners.
func (s *Server) routesTransfer() {
	s.handle("GET /network/transfer", s.page(s.transferPage))
	s.handle("POST /network/import", s.page(s.transferImport))
	// One route per file rather than a wildcard, so the router itself refuses other names.
	for _, k := range []org.Kind{org.UnitsFile, org.PartnersFile} {
		for _, f := range []org.Format{org.CSV, org.XLSX} {
			s.handle("GET /network/export/"+string(k)+"."+string(f), s.page(s.transferExport(k, f)))
		}
	}
	s.handle("POST /api/v1/import/units", s.api(s.apiImport(org.UnitsFile)))
	s.handle("POST /api/v1/import/partners", s.api(s.apiImport(org.PartnersFile)))
}

// transferColumn describes one import column on the page.
type transferColumn struct {
	Name     string
	Required bool
}

type transferData struct {
	Root     *org.Unit
	Kinds    []string
	Kind     string
	DryRun   bool
	FileName string
	Units    []transferColumn
	Partners []transferColumn
	Result   *org.ImportResult
	Report   []reportLine
}

// reportLine is one row error as the page shows it.
type reportLine struct {
	Row     string
	Column  string
	Message string
}

var requiredColumns = map[org.Kind][]string{
	org.UnitsFile:    {"code", "level", "parent_code", "name_zh", "name_en"},
	org.PartnersFile: {"code", "unit_code", "type", "name_zh", "name_en"},
}

func columnsOf(k org.Kind) []transferColumn {
	var out []transferColumn
	for _, c := range org.ColumnNames(k) {
		out = append(out, transferColumn{Name: c, Required: slices.Contains(requiredColumns[k], c)})
	}
	return out
}

func (s *Server) transferData(r *http.Request, a access.Actor) (transferData, error) {
	d := transferData{Kinds: []string{string(org.UnitsFile), string(org.PartnersFile)}, Kind: string(org.UnitsFile),
		Units: columnsOf(org.UnitsFile), Partners: columnsOf(org.PartnersFile)}
	if id := queryInt(r, "root"); id != 0 {
		u, err := s.org.Unit(r.Context(), a, id)
		if err != nil {
			return d, err
		}
		d.Root = &u
	}
	return d, nil
}

// transferPage offers the exports and, to those who may import, the upload form.
func (s *Server) transferPage(w http.ResponseWriter, r *http.Request, a access.Actor) {
	if err := a.Require(access.ViewNetwork); err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.transferData(r, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "transfer", &Page{Title: reqCtx(r).tr.T("transfer.title"), Data: d})
}

// readUpload returns the uploaded file's bytes from a multipart form field "file", or, when raw
// is set, from the body of API clients that post the file itself.
func readUpload(w http.ResponseWriter, r *http.Request, raw bool) ([]byte, string, error) {
	// The margin lets a file of exactly maxUpload arrive with its multipart framing.
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		if !raw {
			return nil, "", valid.New("file", "required")
		}
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, "", err
		}
		if len(data) > maxUpload {
			return nil, "", &http.MaxBytesError{Limit: maxUpload}
		}
		return data, "", nil
	}
	if err := r.ParseMultipartForm(maxUpload); err != nil {
		return nil, "", err
	}
	f, h, err := r.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		return nil, "", valid.New("file", "required")
	}
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	if h.Size > maxUpload {
		return nil, "", &http.MaxBytesError{Limit: maxUpload}
	}
	data, err := io.ReadAll(f)
	return data, h.Filename, err
}

// uploadError turns a failed upload into a field error on "file", or returns it unchanged.
func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || err != nil && strings.Contains(err.Error(), "request body too large") {
		return valid.New("file", "too_large", maxUploadLabel)
	}
	if _, ok := valid.As(err); ok {
		return err
	}
	if err != nil {
		// A malformed multipart body is the client's mistake, not ours.
		return valid.New("file", "required")
	}
	return nil
}

// formatOf picks the format from the content type or file name, else from the bytes.
func formatOf(contentType, name string, data []byte) org.Format {
	ct, _, _ := mime.ParseMediaType(contentType)
	switch {
	case ct == org.XLSXType || strings.HasSuffix(strings.ToLower(name), ".xlsx"):
		return org.XLSX
	case ct == "text/csv" || strings.HasSuffix(strings.ToLower(name), ".csv"):
		return org.CSV
	}
	return org.DetectFormat(data)
}

// transferImport runs an upload and shows its report or its summary on the transfer page.
func (s *Server) transferImport(w http.ResponseWriter, r *http.Request, a access.Actor) {
	tr := reqCtx(r).tr
	if err := a.Require(access.ImportNetwork); err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.transferData(r, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := &Page{Title: tr.T("transfer.title"), Data: &d}
	up, name, es, status, err := formUpload(w, r)
	d.FileName, d.DryRun = name, up.dryRun
	d.Kind = r.PostFormValue("kind")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if es != nil {
		page.Errors = es
		s.render(w, r, status, "transfer", page)
		return
	}
	kind := org.Kind(d.Kind)
	if kind != org.UnitsFile && kind != org.PartnersFile {
		page.Errors = valid.Errors{{Field: "kind", Rule: "one_of", Param: strings.Join(d.Kinds, ", ")}}
		s.render(w, r, http.StatusUnprocessableEntity, "transfer", page)
		return
	}
	res, err := s.org.Import(r.Context(), a, kind, up.data, org.ImportOptions{Format: up.format, DryRun: d.DryRun})
	if _, ok := valid.As(err); err != nil && !ok {
		s.fail(w, r, err)
		return
	}
	d.Result = &res
	status = http.StatusOK
	if len(res.Errors) > 0 {
		status = http.StatusUnprocessableEntity
		for _, e := range res.Errors {
			d.Report = append(d.Report, reportLineOf(tr, e))
		}
	}
	s.render(w, r, status, "transfer", page)
}

func reportLineOf(tr Tr, e valid.FieldError) reportLine {
	l := reportLine{Row: tr.T("transfer.row_file"), Column: tr.T("field." + e.Field)}
	if e.Row > 0 {
		l.Row = tr.T("transfer.row", "Row", e.Row)
	}
	// The row has a column of its own here, so the message leaves it out.
	e.Row = 0
	l.Message = tr.FieldError(e)
	return l
}

// transferExport serves one of /network/export/{units,partners}.{csv,xlsx}, optionally
// ?root=ID for a subtree.
func (s *Server) transferExport(kind org.Kind, format org.Format) func(w http.ResponseWriter, r *http.Request, a access.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a access.Actor) {
		root := queryInt(r, "root")
		filename := "ting-" + string(kind)
		if root != 0 {
			u, err := s.org.Unit(r.Context(), a, root)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			filename += "-" + u.Code
		}
		filename += "-" + time.Now().UTC().Format(time.DateOnly) + "." + string(format)
		ctype := "text/csv; charset=utf-8"
		if format == org.XLSX {
			ctype = org.XLSXType
		}
		lw := &lazyWriter{w: w, header: func(h http.Header) {
			h.Set("Content-Type", ctype)
			h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
			h.Set("Cache-Control", "no-store")
		}}
		err := s.org.Export(r.Context(), a, kind, format, root, lw)
		switch {
		case err != nil && !lw.started:
			s.fail(w, r, err)
		case err != nil:
			// The headers are gone; cut the connection so the client sees a broken download
			// rather than a short file that looks complete.
			s.log.Error("export failed mid-stream", "path", r.URL.Path, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
}

// lazyWriter sends the download's headers with its first bytes, so that an error before any
// output can still be answered with an error page.
type lazyWriter struct {
	w       http.ResponseWriter
	header  func(http.Header)
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.header(l.w.Header())
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

// importBody is the API's answer to an import. When rows fail it is also the API's error
// shape: code, message and field describe the first failure.
type importBody struct {
	Code      string       `json:"code,omitempty"`
	Message   string       `json:"message,omitempty"`
	Field     string       `json:"field,omitempty"`
	Kind      org.Kind     `json:"kind"`
	Format    org.Format   `json:"format"`
	DryRun    bool         `json:"dry_run"`
	Rows      int          `json:"rows"`
	Created   int          `json:"created"`
	Updated   int          `json:"updated"`
	Unchanged int          `json:"unchanged"`
	Errors    []importFail `json:"errors"`
}

type importFail struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Param   string `json:"param,omitempty"`
	Message string `json:"message"`
}

// rawTypes are the bodies the import API reads as the file itself.
var rawTypes = []string{"", "text/csv", "text/plain", "application/csv", "application/octet-stream", org.XLSXType}

// upload is an import file sent to the API.
type upload struct {
	data   []byte
	format org.Format
	dryRun bool
}

// formUpload reads an import file posted from a page's form (field "file", checkbox
// "dry_run"). A file refused (missing, too large) comes back as the form's errors, with the
// status to answer them with.
func formUpload(w http.ResponseWriter, r *http.Request) (up upload, name string, es valid.Errors, status int, err error) {
	data, name, err := readUpload(w, r, false)
	up.dryRun = r.PostFormValue("dry_run") != ""
	if err := uploadError(err); err != nil {
		if es, err = formErrors(err); err != nil {
			return up, name, nil, 0, err
		}
		status = http.StatusUnprocessableEntity
		if e, _ := es.For("file"); e.Rule == "too_large" {
			status = http.StatusRequestEntityTooLarge
		}
		return up, name, es, status, nil
	}
	var ct string
	if fh := r.MultipartForm.File["file"]; len(fh) > 0 {
		ct = fh[0].Header.Get("Content-Type")
	}
	up.data, up.format = data, formatOf(ct, name, data)
	return up, name, nil, http.StatusOK, nil
}

// apiUpload reads an import file sent to the API as multipart field "file" or as the raw body
// (text/csv or the XLSX type), with ?dry_run=true. A body of another type or too large is
// answered here (done).
func apiUpload(w http.ResponseWriter, r *http.Request) (up upload, done bool, err error) {
	tr := reqCtx(r).tr
	fail := func(status int, e valid.FieldError) (upload, bool, error) {
		writeJSON(w, status, apiErrorBody{Code: "validation", Message: tr.FieldError(e), Field: e.Field,
			Errors: []apiFieldFail{{Field: e.Field, Rule: e.Rule, Message: tr.FieldError(e)}}})
		return upload{}, true, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" && !slices.Contains(rawTypes, ct) {
		return fail(http.StatusUnsupportedMediaType, valid.FieldError{Field: "body", Rule: "media_type", Param: "text/csv, " + org.XLSXType + ", multipart/form-data"})
	}
	data, name, err := readUpload(w, r, true)
	if err := uploadError(err); err != nil {
		if es, ok := valid.As(err); ok && es[0].Rule == "too_large" {
			return fail(http.StatusRequestEntityTooLarge, es[0])
		}
		return upload{}, false, err
	}
	partType := r.Header.Get("Content-Type")
	if r.MultipartForm != nil {
		if fh := r.MultipartForm.File["file"]; len(fh) > 0 {
			partType = fh[0].Header.Get("Content-Type")
		}
	}
	dry := strings.ToLower(r.URL.Query().Get("dry_run"))
	return upload{data: data, format: formatOf(partType, name, data), dryRun: dry == "true" || dry == "1"}, false, nil
}

// apiImport takes the file as multipart field "file" or as the raw body (text/csv or the
// XLSX type) and answers the import's counts, with 422 and every row error when any fails.
func (s *Server) apiImport(kind org.Kind) func(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	return func(w http.ResponseWriter, r *http.Request, a access.Actor) error {
		if err := a.Require(access.ImportNetwork); err != nil {
			return err
		}
		tr := reqCtx(r).tr
		up, done, err := apiUpload(w, r)
		if done || err != nil {
			return err
		}
		res, err := s.org.Import(r.Context(), a, kind, up.data, org.ImportOptions{Format: up.format, DryRun: up.dryRun})
		if _, ok := valid.As(err); err != nil && !ok {
			return err
		}
		body := importBody{Kind: res.Kind, Format: res.Format, DryRun: res.DryRun, Rows: res.Rows, Created: res.Created, Updated: res.Updated,
			Unchanged: res.Unchanged, Errors: []importFail{}}
		for _, e := range res.Errors {
			body.Errors = append(body.Errors, importFail{Row: e.Row, Field: e.Field, Rule: e.Rule, Param: e.Param, Message: tr.FieldError(e)})
		}
		status := http.StatusOK
		if len(body.Errors) > 0 {
			status = http.StatusUnprocessableEntity
			body.Code, body.Message, body.Field = "validation", body.Errors[0].Message, body.Errors[0].Field
		}
		writeJSON(w, status, body)
		return nil
	}
}
