package web

import (
	"errors"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/results"
	"ting/internal/results/dhis2"
	"ting/internal/valid"
)

// routesDHIS2 registers the DHIS2-compatible interchange: dataValueSets in and out, and the
// mapping tables between Ting codes and DHIS2 uids.
func (s *Server) routesDHIS2() {
	h := &dhis2Web{Server: s, svc: s.resultsService()}
	s.handle("POST /api/v1/dataValueSets", s.api(h.importValues))
	s.handle("GET /api/v1/dataValueSets", s.api(h.exportValues))
	s.handle("GET /api/v1/dhis2/mappings", s.api(h.mappings))
	s.handle("PUT /api/v1/dhis2/mappings", s.api(h.setMapping))
}

type dhis2Web struct {
	*Server
	svc *results.Service
}

const maxInterchangeBody = 50 << 20

// formatErr turns a reader's error into the API's validation shape, naming the record. A
// syntax error names no field: it is the body's.
func formatErr(err error) error {
	var fe *dhis2.FormatError
	if errors.As(err, &fe) {
		field := fe.Field
		if field == "" {
			field = "body"
		}
		return valid.Errors{{Row: fe.Record, Field: field, Rule: fe.Rule, Param: fe.Detail}}
	}
	return valid.New("body", "json")
}

// apiDataValueSetsImport reads dataValueSets JSON (application/json), DHIS2 CSV (text/csv)
// or ADX XML (application/adx+xml), or the format named by format=json|csv|adx whatever the
// Content-Type, with DHIS2's parameters idScheme=uid|code, dryRun=true and
// atomicMode=ALL|NONE, and answers DHIS2's import summary.
func (s *dhis2Web) importValues(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	q := r.URL.Query()
	opts := results.ImportOptions{IDScheme: strings.ToLower(q.Get("idScheme")), DryRun: q.Get("dryRun") == "true",
		Partial: strings.EqualFold(q.Get("atomicMode"), "NONE")}
	body := http.MaxBytesReader(w, r.Body, maxInterchangeBody)
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch strings.ToLower(q.Get("format")) {
	case "":
	case "json":
		ctype = "application/json"
	case "csv":
		ctype = "text/csv"
	case "adx":
		ctype = "application/adx+xml"
	default:
		return valid.New("format", "one_of", "json, csv, adx")
	}
	var values []dhis2.DataValue
	switch ctype {
	case "application/adx+xml":
		doc, err := dhis2.ReadADX(body)
		if err != nil {
			return formatErr(err)
		}
		values = valuesOfADX(doc)
	case "application/json", "":
		set, err := dhis2.ReadJSON(body)
		if err != nil {
			return formatErr(err)
		}
		values = set.DataValues
	case "text/csv", "application/csv":
		vs, err := dhis2.ReadCSV(body)
		if err != nil {
			return formatErr(err)
		}
		values = vs
	default:
		s.apiError(w, r, http.StatusUnsupportedMediaType, "validation", "Content-Type", "")
		return nil
	}
	sum, err := s.svc.ImportDHIS2(r.Context(), a, values, opts)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if sum.Status == dhis2.StatusError {
		status = http.StatusConflict
	}
	writeJSON(w, status, sum)
	return nil
}

// apiDataValueSetsExport writes a framework's values for a unit subtree and period as
// dataValueSets JSON (default), DHIS2 CSV (format=csv) or ADX XML (format=adx).
func (s *dhis2Web) exportValues(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	q := r.URL.Query()
	unit, err := s.org.Unit(r.Context(), a, queryInt(r, "unit"))
	if err != nil {
		return err
	}
	p := results.LOP
	if key := q.Get("period"); key != "" {
		if p, err = results.ParsePeriod(key); err != nil {
			return valid.New("period", "period")
		}
	}
	scheme := strings.ToLower(q.Get("idScheme"))
	values, err := s.svc.ExportDHIS2(r.Context(), a, q.Get("framework"), unit, p, scheme)
	if err != nil {
		return err
	}
	switch q.Get("format") {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="dataValueSets.csv"`)
		return dhis2.WriteCSV(w, values)
	case "adx":
		doc, err := adxOf(q.Get("framework"), values)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/adx+xml; charset=utf-8")
		return dhis2.WriteADX(w, doc)
	case "", "json":
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		return dhis2.WriteJSON(w, dhis2.DataValueSet{DataValues: values})
	}
	return valid.New("format", "one_of", "json, csv, adx")
}

// valuesOfADX flattens an ADX document into data values, in document order so that a
// conflict's index counts data values across groups as the reader does. The ADX period
// (2012-01-01/P1M) becomes DHIS2's key (201201); one that does not parse is passed on as written,
// for the import to refuse by name. A categoryOptionCombo attribute names the combination;
// otherwise disaggregation attributes spelled out by category (sex="female") are read as Ting's
// set:category pairs, which the code scheme resolves and the uid scheme reports as unmapped.
func valuesOfADX(doc dhis2.ADX) []dhis2.DataValue {
	var out []dhis2.DataValue
	for _, g := range doc.Groups {
		period := g.Period
		if p, err := dhis2.ParseADXPeriod(g.Period); err == nil {
			if key, err := dhis2.FormatPeriod(p); err == nil {
				period = key
			}
		}
		for _, v := range g.DataValues {
			dv := dhis2.DataValue{DataElement: v.DataElement, OrgUnit: g.OrgUnit, Period: period, Value: v.Value,
				AttributeOptionCombo: g.Attributes["attributeOptionCombo"]}
			if c, ok := v.Disaggregation["categoryOptionCombo"]; ok {
				dv.CategoryOptionCombo = c
			} else if len(v.Disaggregation) > 0 {
				var pairs []string
				for _, k := range slices.Sorted(maps.Keys(v.Disaggregation)) {
					pairs = append(pairs, k+":"+v.Disaggregation[k])
				}
				dv.CategoryOptionCombo = strings.Join(pairs, ",")
			}
			out = append(out, dv)
		}
	}
	return out
}

// adxOf groups values by org unit and period, as ADX carries them, under the framework's code
// as the data set; the combination becomes the categoryOptionCombo disaggregation attribute.
func adxOf(framework string, values []dhis2.DataValue) (dhis2.ADX, error) {
	doc := dhis2.ADX{Exported: time.Now().UTC().Format(time.RFC3339)}
	index := map[string]int{}
	for _, v := range values {
		p, err := dhis2.ParsePeriod(v.Period)
		if err != nil {
			return doc, err
		}
		ap, err := dhis2.FormatADXPeriod(p)
		if err != nil {
			return doc, err
		}
		key := v.OrgUnit + "|" + ap
		i, ok := index[key]
		if !ok {
			i = len(doc.Groups)
			index[key] = i
			doc.Groups = append(doc.Groups, dhis2.ADXGroup{DataSet: framework, OrgUnit: v.OrgUnit, Period: ap})
		}
		dv := dhis2.ADXDataValue{DataElement: v.DataElement, Value: v.Value}
		if v.CategoryOptionCombo != "" {
			dv.Disaggregation = map[string]string{"categoryOptionCombo": v.CategoryOptionCombo}
		}
		doc.Groups[i].DataValues = append(doc.Groups[i].DataValues, dv)
	}
	return doc, nil
}

func (s *dhis2Web) mappings(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	kind := r.URL.Query().Get("kind")
	var all []results.Mapping
	for _, k := range results.MappingKinds {
		if kind != "" && k != kind {
			continue
		}
		ms, err := s.svc.Mappings(r.Context(), a, k)
		if err != nil {
			return err
		}
		all = append(all, ms...)
	}
	writeAll(w, all)
	return nil
}

func (s *dhis2Web) setMapping(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	var m results.Mapping
	if err := decode(r, &m); err != nil {
		return err
	}
	if err := s.svc.SetMapping(r.Context(), a, m); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}
