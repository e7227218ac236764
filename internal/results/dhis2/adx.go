package dhis2

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

// ADXNamespace is the namespace of ADX documents (IHE QRPH ADX, 2015).
const ADXNamespace = "urn:ihe:qrph:adx:2015"

// ADX is an ADX document: groups of data values sharing a data set, period and org unit.
type ADX struct {
	// Exported is the root's exported timestamp. The ADX schema makes it mandatory; it is kept
	// as written, and written back only when set, so callers producing ADX must set it.
	Exported string
	Groups   []ADXGroup
}

// ADXGroup is one <group>. Period is in ADX form, start date and ISO 8601 duration
// ("2012-01-01/P1M"); ParseADXPeriod turns it into a Period. Attributes holds the group's other
// attributes: completeDate, attributeOptionCombo, or attribute categories spelled out by name,
// which DHIS2 passes on to its importer.
type ADXGroup struct {
	DataSet    string
	Period     string
	OrgUnit    string
	Attributes map[string]string
	DataValues []ADXDataValue
}

// ADXDataValue is one <dataValue>. ADX spells disaggregations out as attributes named by
// category (GENDER="FMLE" HIV_AGE="AGE0-14") rather than as a category option combo id; they are
// kept in Disaggregation, name to value. A categoryOptionCombo attribute, which DHIS2 prefers
// when present, lands there too.
type ADXDataValue struct {
	DataElement    string
	Value          string
	Disaggregation map[string]string
}

// ReadADX reads an ADX document. The root must be <adx> in ADXNamespace. Every group needs
// dataSet, orgUnit and a period of the form date/duration; every dataValue needs dataElement and
// a value attribute. Elements other than group and dataValue (annotations, extensions) are
// skipped, as are attributes in other namespaces. Errors are *FormatError naming the group, the
// record (1-based dataValue across the document) and the line.
func ReadADX(r io.Reader) (ADX, error) {
	d := xml.NewDecoder(r)
	ar := adxReader{d: d}
	doc, err := ar.read()
	if err != nil {
		return ADX{}, err
	}
	return doc, nil
}

type adxReader struct {
	d       *xml.Decoder
	records int
	groups  int
}

func (ar *adxReader) line() int {
	l, _ := ar.d.InputPos()
	return l
}

func (ar *adxReader) syntax(err error) *FormatError {
	fe := &FormatError{Group: ar.groups, Record: ar.records, Line: ar.line(), Rule: RuleXML, Detail: err.Error()}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		fe.Line, fe.Detail = se.Line, se.Msg
	}
	if errors.Is(err, io.EOF) {
		fe.Detail = "unexpected end of input"
	}
	return fe
}

// next returns the next start or end element, skipping text, comments and processing
// instructions.
func (ar *adxReader) next() (xml.Token, error) {
	for {
		tok, err := ar.d.Token()
		if err != nil {
			return nil, err
		}
		switch tok.(type) {
		case xml.StartElement, xml.EndElement:
			return tok, nil
		}
	}
}

func (ar *adxReader) read() (ADX, error) {
	var doc ADX
	tok, err := ar.next()
	if err != nil {
		return doc, ar.syntax(err)
	}
	root, ok := tok.(xml.StartElement)
	if !ok || root.Name.Space != ADXNamespace || root.Name.Local != "adx" {
		return doc, &FormatError{Line: ar.line(), Rule: RuleXML,
			Detail: fmt.Sprintf("root must be <adx xmlns=%q>", ADXNamespace)}
	}
	for _, a := range root.Attr {
		if a.Name.Space == "" && a.Name.Local == "exported" {
			doc.Exported = a.Value
		}
	}
	if fe := lengthError(0, ar.line(), "exported", doc.Exported); fe != nil {
		return doc, fe
	}
	for {
		tok, err := ar.next()
		if err != nil {
			return doc, ar.syntax(err)
		}
		if _, ok := tok.(xml.EndElement); ok {
			break // the decoder has checked it closes <adx>
		}
		se := tok.(xml.StartElement)
		if se.Name.Space != ADXNamespace || se.Name.Local != "group" {
			if err := ar.d.Skip(); err != nil {
				return doc, ar.syntax(err)
			}
			continue
		}
		ar.groups++
		g, err := ar.group(se)
		if err != nil {
			return doc, err
		}
		doc.Groups = append(doc.Groups, g)
	}
	// Anything after the root other than comments, whitespace or processing instructions is an error.
	for {
		tok, err := ar.d.Token()
		if err == io.EOF {
			return doc, nil
		}
		if err != nil {
			return doc, ar.syntax(err)
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(xml.CharData(trimXMLSpace(t))) > 0 {
				return doc, &FormatError{Line: ar.line(), Rule: RuleXML, Detail: "text after the root element"}
			}
		default:
			return doc, &FormatError{Line: ar.line(), Rule: RuleXML, Detail: "content after the root element"}
		}
	}
}

func trimXMLSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// attrs collects an element's unqualified attributes, pulling out the named ones. Namespace
// declarations and qualified attributes (xsi:schemaLocation …) are not data and are dropped.
func (ar *adxReader) attrs(se xml.StartElement, named ...string) (map[string]string, map[string]string, *FormatError) {
	fixed := map[string]string{}
	var rest map[string]string
	for _, a := range se.Attr {
		if a.Name.Space != "" || a.Name.Local == "xmlns" {
			continue
		}
		if slices.Contains(named, a.Name.Local) {
			fixed[a.Name.Local] = a.Value
			continue
		}
		if !isXMLName(a.Name.Local) {
			return nil, nil, &FormatError{Group: ar.groups, Record: ar.records, Line: ar.line(),
				Field: a.Name.Local, Rule: RuleXML, Detail: "not a valid attribute name"}
		}
		if rest == nil {
			rest = map[string]string{}
		}
		rest[a.Name.Local] = a.Value
		if len(rest) > MaxADXAttributes {
			return nil, nil, &FormatError{Group: ar.groups, Record: ar.records, Line: ar.line(),
				Rule: RuleTooLarge, Detail: fmt.Sprintf("more than %d attributes", MaxADXAttributes)}
		}
	}
	for k, v := range rest {
		if fe := lengthError(ar.records, ar.line(), "name", k, k, v); fe != nil {
			fe.Group = ar.groups
			return nil, nil, fe
		}
	}
	return fixed, rest, nil
}

func (ar *adxReader) group(se xml.StartElement) (ADXGroup, error) {
	line := ar.line()
	fixed, rest, fe := ar.attrs(se, "dataSet", "period", "orgUnit")
	if fe != nil {
		fe.Record = 0
		return ADXGroup{}, fe
	}
	g := ADXGroup{DataSet: fixed["dataSet"], Period: fixed["period"], OrgUnit: fixed["orgUnit"], Attributes: rest}
	for _, f := range [...]struct{ name, val string }{
		{"dataSet", g.DataSet}, {"period", g.Period}, {"orgUnit", g.OrgUnit},
	} {
		if f.val == "" {
			return g, &FormatError{Group: ar.groups, Line: line, Field: f.name, Rule: RuleRequired}
		}
	}
	if fe := lengthError(0, line, "dataSet", g.DataSet, "period", g.Period, "orgUnit", g.OrgUnit); fe != nil {
		fe.Group = ar.groups
		return g, fe
	}
	if _, _, err := splitADXPeriod(g.Period); err != nil {
		return g, &FormatError{Group: ar.groups, Line: line, Field: "period", Rule: RulePeriod, Detail: err.Error()}
	}
	for {
		tok, err := ar.next()
		if err != nil {
			return g, ar.syntax(err)
		}
		if _, ok := tok.(xml.EndElement); ok {
			return g, nil
		}
		se := tok.(xml.StartElement)
		if se.Name.Space != ADXNamespace || se.Name.Local != "dataValue" {
			if err := ar.d.Skip(); err != nil {
				return g, ar.syntax(err)
			}
			continue
		}
		ar.records++
		if ar.records > maxRecords {
			return g, &FormatError{Group: ar.groups, Record: ar.records, Line: ar.line(),
				Rule: RuleTooLarge, Detail: strconv.Itoa(maxRecords)}
		}
		v, err := ar.dataValue(se)
		if err != nil {
			return g, err
		}
		g.DataValues = append(g.DataValues, v)
	}
}

func (ar *adxReader) dataValue(se xml.StartElement) (ADXDataValue, error) {
	line := ar.line()
	fixed, rest, fe := ar.attrs(se, "dataElement", "value")
	if fe != nil {
		return ADXDataValue{}, fe
	}
	v := ADXDataValue{DataElement: fixed["dataElement"], Value: fixed["value"], Disaggregation: rest}
	if v.DataElement == "" {
		return v, &FormatError{Group: ar.groups, Record: ar.records, Line: line, Field: "dataElement", Rule: RuleRequired}
	}
	if _, ok := fixed["value"]; !ok {
		return v, &FormatError{Group: ar.groups, Record: ar.records, Line: line, Field: "value", Rule: RuleRequired}
	}
	if fe := lengthError(ar.records, line, "dataElement", v.DataElement, "value", v.Value); fe != nil {
		fe.Group = ar.groups
		return v, fe
	}
	// The value is an attribute; annotations and other children carry nothing we keep.
	if err := ar.d.Skip(); err != nil {
		return v, ar.syntax(err)
	}
	return v, nil
}

// isXMLName reports whether s may name a disaggregation attribute: an ASCII letter or
// underscore, then letters, digits, '_', '-' or '.'. XML allows more, but DHIS2 asks category
// codes used in ADX to keep to this, and a narrower rule on both reading and writing guarantees
// that whatever we write, any XML reader (ours included) reads back.
func isXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && (c == '-' || c == '.' || '0' <= c && c <= '9'):
		default:
			return false
		}
	}
	return true
}

// isXMLText reports whether s holds only characters XML 1.0 allows. encoding/xml would
// silently turn the others into U+FFFD; we refuse instead of sending altered data.
func isXMLText(s string) bool {
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD && r != utf8.RuneError:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// WriteADX writes doc as ADX XML. Groups need dataSet, orgUnit and a date/duration period;
// data values need a dataElement. Attribute names must be XML names and must not repeat the
// fixed ones (dataSet, period, orgUnit on groups; dataElement, value on data values).
// Attributes are written in name order so the output is stable.
func WriteADX(w io.Writer, doc ADX) error {
	if !isXMLText(doc.Exported) {
		return errors.New("write ADX: exported holds characters XML cannot carry")
	}
	bw := bufio.NewWriter(w)
	aw := adxWriter{w: bw}
	aw.str(xml.Header)
	aw.str(`<adx xmlns="` + ADXNamespace + `"`)
	if doc.Exported != "" {
		aw.attr("exported", doc.Exported)
	}
	aw.str(">\n")
	for gi, g := range doc.Groups {
		if err := checkADXGroup(g); err != nil {
			return fmt.Errorf("write ADX group %d: %w", gi+1, err)
		}
		aw.str("  <group")
		aw.attr("dataSet", g.DataSet)
		aw.attr("period", g.Period)
		aw.attr("orgUnit", g.OrgUnit)
		for _, k := range slices.Sorted(maps.Keys(g.Attributes)) {
			aw.attr(k, g.Attributes[k])
		}
		aw.str(">\n")
		for vi, v := range g.DataValues {
			if err := checkADXValue(v); err != nil {
				return fmt.Errorf("write ADX group %d data value %d: %w", gi+1, vi+1, err)
			}
			aw.str("    <dataValue")
			aw.attr("dataElement", v.DataElement)
			for _, k := range slices.Sorted(maps.Keys(v.Disaggregation)) {
				aw.attr(k, v.Disaggregation[k])
			}
			aw.attr("value", v.Value)
			aw.str("/>\n")
		}
		aw.str("  </group>\n")
	}
	aw.str("</adx>\n")
	if aw.err == nil {
		aw.err = bw.Flush()
	}
	if aw.err != nil {
		return fmt.Errorf("write ADX: %w", aw.err)
	}
	return nil
}

func checkADXGroup(g ADXGroup) error {
	if g.DataSet == "" || g.OrgUnit == "" {
		return errors.New("dataSet and orgUnit are required")
	}
	if _, _, err := splitADXPeriod(g.Period); err != nil {
		return err
	}
	return checkADXAttrs(g.Attributes, "dataSet", "period", "orgUnit", g.DataSet, g.OrgUnit)
}

func checkADXValue(v ADXDataValue) error {
	if v.DataElement == "" {
		return errors.New("dataElement is required")
	}
	return checkADXAttrs(v.Disaggregation, "dataElement", "value", "", v.DataElement, v.Value)
}

// checkADXAttrs checks extra attributes against the three reserved names and every text against
// XML's character set.
func checkADXAttrs(attrs map[string]string, r1, r2, r3 string, texts ...string) error {
	for _, s := range texts {
		if !isXMLText(s) {
			return fmt.Errorf("%q holds characters XML cannot carry", s)
		}
	}
	for k, v := range attrs {
		if k == r1 || k == r2 || k == r3 || k == "xmlns" {
			return fmt.Errorf("attribute %q repeats a fixed attribute", k)
		}
		if !isXMLName(k) {
			return fmt.Errorf("attribute name %q is not an XML name", k)
		}
		if !isXMLText(v) {
			return fmt.Errorf("attribute %s holds characters XML cannot carry", k)
		}
	}
	return nil
}

// adxWriter keeps the first write error so the writing code reads straight.
type adxWriter struct {
	w   *bufio.Writer
	err error
}

func (aw *adxWriter) str(s string) {
	if aw.err == nil {
		_, aw.err = aw.w.WriteString(s)
	}
}

func (aw *adxWriter) attr(name, value string) {
	aw.str(" " + name + `="`)
	if aw.err == nil {
		// EscapeText also escapes tab, newline and carriage return, which attribute-value
		// normalisation would otherwise turn into spaces on the reading side.
		aw.err = xml.EscapeText(aw.w, []byte(value))
	}
	aw.str(`"`)
}
