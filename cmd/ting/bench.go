package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"ting/internal/benchgen"
	"ting/internal/config"
)

// bench runs a benchmark against a baseline computed in the same run on the same data.
// `ting bench progress` generates a national-scale network into an empty database (use a
// fresh --data directory or --database) and compares the targets-versus-progress table with a
// plain SQL GROUP BY; its own flags follow the database flags (see -h).
func bench(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "progress" {
		return fmt.Errorf("%w: bench needs a benchmark name (progress)", errUsage)
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
	return benchgen.Main(ctx, db, fs.Args(), os.Stdout)
}
