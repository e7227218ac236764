package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"ting/internal/access"
	"ting/internal/beneficiaries"
	"ting/internal/config"
	"ting/internal/sheet"
	"ting/internal/valid"
	"ting/internal/web"
)

// importCmd loads spreadsheets from the command line: ting import services FILE.
func importCmd(ctx context.Context, args []string) error {
	return importTo(ctx, args, os.Stdout)
}

// importTo runs an import and writes its summary or its report to out: one line per failure
// with the row as the spreadsheet numbers it, the column, and the message in the chosen
// language. It acts as the system, like the other commands; a failed import writes nothing and
// returns an error.
func importTo(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "services" {
		return fmt.Errorf("%w: import services FILE [--dry-run] [--lang zh|en]", errUsage)
	}
	fs := flag.NewFlagSet("import services", flag.ContinueOnError)
	cfg := config.Register(fs)
	dryRun := fs.Bool("dry-run", false, "check every row and count, then write nothing")
	lang := fs.String("lang", "zh", "language of the report: zh or en")
	// Flags may stand before or after the file name; the flag package stops at the first
	// argument that is not one, so parse what follows it again.
	var files []string
	for rest := args[1:]; ; {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		return fmt.Errorf("%w: import services takes one file, got %d", errUsage, len(files))
	}
	if *lang != "zh" && *lang != "en" {
		return fmt.Errorf("%w: --lang must be zh or en", errUsage)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	format := sheet.DetectFormat(data)
	switch strings.ToLower(filepath.Ext(files[0])) {
	case ".xlsx":
		format = sheet.XLSX
	case ".csv", ".txt":
		format = sheet.CSV
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	tr := web.NewTr(*lang)
	res, err := beneficiaries.New(db, nil).ImportServices(ctx, access.System, data, beneficiaries.ImportOptions{Format: format, DryRun: *dryRun})
	if es, ok := valid.As(err); ok {
		for _, e := range es {
			row := tr.T("svcimport.row_file")
			if e.Row > 0 {
				row = tr.T("svcimport.row", "Row", e.Row)
			}
			fmt.Fprintf(out, "%s\t%s\t%s\n", row, e.Field, web.ServicesImportMessage(tr, e))
		}
		return fmt.Errorf("import services %s: %d problem(s); nothing was written", files[0], len(es))
	}
	if err != nil {
		return err
	}
	done, already := "svcimport.done", "svcimport.already"
	if res.DryRun {
		done, already = "svcimport.dry_done", "svcimport.dry_already"
	}
	fmt.Fprintln(out, tr.T(done, "N", res.Created))
	if res.Skipped > 0 {
		fmt.Fprintln(out, tr.T(already, "N", res.Skipped))
	}
	if res.Created >= beneficiaries.DeferAt && !res.DryRun {
		fmt.Fprintln(out, tr.T("svcimport.pending_hint"))
	}
	return nil
}
