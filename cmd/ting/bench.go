package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"ting/internal/benchgen"
	"ting/internal/config"
	"ting/internal/store"
)

// bench runs a benchmark against a baseline computed in the same run on the same data.
// `ting bench progress` generates a national-scale network into an empty database (use a
// fresh --data directory or --database) and compares the targets-versus-progress table with a
// plain SQL GROUP BY; `ting bench reach` generates beneficiary cards and services on the same
// network and compares unique reach from the bitmaps with SQL COUNT(DISTINCT). Their own flags
// follow the database flags (see -h).
func bench(ctx context.Context, args []string) error {
	benchmarks := map[string]func(context.Context, *store.DB, []string, io.Writer) error{
		"progress": benchgen.Main,
		"reach":    benchgen.ReachMain,
	}
	var run func(context.Context, *store.DB, []string, io.Writer) error
	if len(args) > 0 {
		run = benchmarks[args[0]]
	}
	if run == nil {
		return fmt.Errorf("%w: bench needs a benchmark name (progress, reach)", errUsage)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	cfg := config.Register(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	return run(ctx, db, fs.Args(), os.Stdout)
}
