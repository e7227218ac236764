// Package sheet reads and writes the spreadsheets users exchange with Ting: CSV as spreadsheet
// programs save it, and XLSX workbooks. It owns what every import shares: row numbers as the
// user's spreadsheet program shows them, matching a header row to columns by name or alias, and
// the row-by-row error report. It knows nothing of what the rows mean and never touches the
// database; the domain packages apply their own rules to the cells.
package sheet

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"

	"ting/internal/valid"
)

// Format is a spreadsheet file format.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// XLSXType is the media type of XLSX files.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// DetectFormat tells XLSX (a zip archive) from CSV by the file's first bytes.
func DetectFormat(data []byte) Format {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return XLSX
	}
	return CSV
}

// Row is one row of cells and its number as a spreadsheet program shows it (1-based).
type Row struct {
	Num   int
	Cells []string
}

// Read reads the rows of a CSV or XLSX file. A file that cannot be read gives a report on the
// "file" field and no rows.
func Read(data []byte, f Format) ([]Row, valid.Errors) {
	if f == XLSX {
		return ReadXLSX(data)
	}
	return ReadCSV(data)
}

var utf8BOM = []byte("\xef\xbb\xbf")

// ReadCSV parses RFC 4180 CSV. It is written out rather than using encoding/csv because that
// package skips blank lines, and the row numbers in a report must match what a spreadsheet
// program shows for the same file. A UTF-8 byte-order mark is dropped; UTF-16 with a mark
// (Excel's "Unicode text") is decoded; the delimiter is sniffed from the first line.
func ReadCSV(data []byte) ([]Row, valid.Errors) {
	var r Report
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		// Excel's "Unicode text" is UTF-16 with a byte-order mark, tab separated.
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil {
			r.Add(0, "file", "encoding")
			return nil, r.Done()
		}
		data = out
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		r.Add(0, "file", "encoding")
		return nil, r.Done()
	}
	delim := SniffDelimiter(data)
	split, bad := SplitCSV(data, delim)
	if bad > 0 {
		r.Add(bad, "file", "csv_quote")
		return nil, r.Done()
	}
	rows := make([]Row, len(split))
	for i, cells := range split {
		rows[i] = Row{Num: i + 1, Cells: cells}
	}
	for _, row := range rows {
		for j, v := range row.Cells {
			row.Cells[j] = UnguardFormula(v)
		}
	}
	return rows, nil
}

// SplitCSV splits RFC 4180 CSV into records, one per spreadsheet row: blank lines are kept
// (encoding/csv skips them, and row numbers in a report must match what a spreadsheet program
// shows), quoted cells may hold the delimiter, doubled quotes and line breaks (CRLF inside is
// read as LF). A quote left open, or text after a closing quote, returns the row it began on.
func SplitCSV(data []byte, delim byte) (rows [][]string, badRow int) {
	var cells []string
	var cell strings.Builder
	num := 1
	endRow := func() {
		cells = append(cells, cell.String())
		cell.Reset()
		rows = append(rows, cells)
		cells = nil
		num++
	}
	i := 0
	atCellStart := true
	for i < len(data) {
		c := data[i]
		switch {
		case atCellStart && c == '"':
			i++
			closed := false
			for i < len(data) {
				if data[i] == '"' {
					if i+1 < len(data) && data[i+1] == '"' {
						cell.WriteByte('"')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
					i++
					continue
				}
				cell.WriteByte(data[i])
				i++
			}
			if !closed || i < len(data) && data[i] != delim && data[i] != '\n' && data[i] != '\r' {
				return nil, num
			}
			atCellStart = false
		case c == delim:
			cells = append(cells, cell.String())
			cell.Reset()
			atCellStart = true
			i++
		case c == '\n' || c == '\r':
			if c == '\r' && i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			i++
			endRow()
			atCellStart = true
		default:
			cell.WriteByte(c)
			atCellStart = false
			i++
		}
	}
	if !atCellStart || len(cells) > 0 || cell.Len() > 0 {
		endRow()
	}
	return rows, 0
}

// SniffDelimiter picks ';' or tab only when the header line uses it more than commas.
func SniffDelimiter(data []byte) byte {
	line := data
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		line = data[:i]
	}
	best, n := byte(','), bytes.Count(line, []byte{','})
	for _, d := range []byte{';', '\t'} {
		if c := bytes.Count(line, []byte{d}); c > n {
			best, n = d, c
		}
	}
	return best
}

// xlsxLimit caps the unpacked size of an uploaded workbook, so a small zip cannot expand into
// gigabytes.
const xlsxLimit = 256 << 20

// ReadXLSX reads the first sheet of a workbook. Cell values are read raw, so a date typed into
// Excel arrives as its serial number (which NormDate accepts) rather than formatted by the
// reader's locale. Empty rows are left out; the others keep their sheet row numbers.
func ReadXLSX(data []byte) (rows []Row, es valid.Errors) {
	var r Report
	defer func() {
		// The workbook comes from the user; a malformed one must give a report, never a crash.
		if p := recover(); p != nil {
			rows, es = nil, valid.Errors{{Field: "file", Rule: "xlsx"}}
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true, UnzipSizeLimit: xlsxLimit, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		r.Add(0, "file", "xlsx")
		return nil, r.Done()
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		r.Add(0, "file", "no_rows")
		return nil, r.Done()
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		r.Add(0, "file", "xlsx")
		return nil, r.Done()
	}
	defer it.Close()
	for n := 1; it.Next(); n++ {
		cells, err := it.Columns()
		if err != nil {
			r.Add(n, "file", "xlsx")
			return nil, r.Done()
		}
		if len(cells) > 0 {
			rows = append(rows, Row{Num: n, Cells: cells})
		}
	}
	if it.Error() != nil {
		r.Add(0, "file", "xlsx")
		return nil, r.Done()
	}
	return rows, nil
}
