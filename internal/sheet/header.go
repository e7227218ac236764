package sheet

import (
	"slices"
	"strconv"
	"strings"
)

// Column is one column of an import file: its name (also the valid.FieldError field of its
// failures) and the other headings users write for it.
type Column struct {
	Name     string
	Required bool
	Aliases  []string
}

// Names lists the columns' names in order.
func Names(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// NormHeading is the form headings are compared in: trimmed, lower case, and spaces (ASCII and
// ideographic) and hyphens read as underscores, so "Parent Code" matches parent_code.
func NormHeading(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	s = strings.ToLower(s)
	s = strings.NewReplacer(" ", "_", "-", "_", "\u3000", "_").Replace(s)
	return s
}

// Table is a file's data rows with the header matched to columns.
type Table struct {
	col  map[string]int // column name → cell index
	Rows []Row
}

// Has reports whether the file has the named column.
func (t Table) Has(name string) bool { _, ok := t.col[name]; return ok }

// Cell returns a row's value in the named column, trimmed; "" when absent.
func (t Table) Cell(r Row, name string) string {
	i, ok := t.col[name]
	if !ok || i >= len(r.Cells) {
		return ""
	}
	return strings.TrimSpace(r.Cells[i])
}

// Blank reports whether every cell is empty or white space.
func Blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// MatchHeader takes the first non-blank row as the header, matches its headings to cols by name
// or alias (case-insensitively, in any order), and returns the data rows after it, blank ones
// left out. Unknown, repeated and missing columns, values under no heading and a file without
// data rows go to r; ok is false when the header is unusable or there are no rows.
func MatchHeader(rows []Row, cols []Column, r *Report) (Table, bool) {
	for len(rows) > 0 && Blank(rows[0].Cells) {
		rows = rows[1:]
	}
	if len(rows) == 0 {
		r.Add(0, "file", "no_rows")
		return Table{}, false
	}
	head := rows[0]
	t := Table{col: map[string]int{}}
	ok := true
	for i, h := range head.Cells {
		key := NormHeading(h)
		if key == "" {
			continue
		}
		name := ""
		for _, c := range cols {
			if key == c.Name || slices.ContainsFunc(c.Aliases, func(a string) bool { return NormHeading(a) == key }) {
				name = c.Name
				break
			}
		}
		switch {
		case name == "":
			r.Add(head.Num, "header", "unknown_column", strings.TrimSpace(h))
			ok = false
		case t.Has(name):
			r.Add(head.Num, "header", "duplicate_column", strings.TrimSpace(h))
			ok = false
		default:
			t.col[name] = i
		}
	}
	for _, c := range cols {
		if c.Required && !t.Has(c.Name) {
			r.Add(head.Num, c.Name, "missing_column")
			ok = false
		}
	}
	for _, row := range rows[1:] {
		if Blank(row.Cells) {
			continue
		}
		// A value under a column without a heading is likely data put in the wrong place.
		for i := len(head.Cells); i < len(row.Cells); i++ {
			if strings.TrimSpace(row.Cells[i]) != "" {
				r.Add(row.Num, "file", "no_column", strconv.Itoa(i+1))
				break
			}
		}
		t.Rows = append(t.Rows, row)
	}
	if ok && len(t.Rows) == 0 {
		r.Add(0, "file", "no_rows")
		ok = false
	}
	return t, ok
}
