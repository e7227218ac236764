package sheet

import (
	"encoding/csv"
	"io"

	"github.com/xuri/excelize/v2"
)

// WriteCSV writes header and then each record next returns until it returns nil. The file
// starts with a byte-order mark so that spreadsheet programs read it as UTF-8, and cells a
// spreadsheet would run as formulas are guarded.
func WriteCSV(w io.Writer, header []string, next func() ([]string, error)) error {
	if _, err := w.Write(utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(header); err != nil {
		return err
	}
	for {
		rec, err := next()
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		for i, v := range rec {
			rec[i] = GuardFormula(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes a workbook of one sheet named sheet, through excelize's streaming writer.
// Every cell is a string, so that codes like "001" and dates stay as written.
func WriteXLSX(w io.Writer, sheet string, header []string, next func() ([]string, error)) error {
	return WriteXLSXCells(w, sheet, header, func() ([]any, error) {
		rec, err := next()
		if rec == nil || err != nil {
			return nil, err
		}
		out := make([]any, len(rec))
		for i, v := range rec {
			out[i] = v
		}
		return out, nil
	})
}

// WriteXLSXCells writes a workbook as WriteXLSX does, with each cell as its value's type: a
// number stays a number, so that a figure can be summed.
func WriteXLSXCells(w io.Writer, sheet string, header []string, next func() ([]any, error)) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	head := make([]any, len(header))
	for i, v := range header {
		head[i] = v
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	for n := 2; ; n++ {
		rec, err := next()
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		axis, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(axis, rec); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
