package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	reach "ting/internal/analytics"
	"ting/internal/config"
	"ting/internal/results"
)

// analytics rebuilds and verifies the derived aggregates.
func analytics(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("analytics", flag.ContinueOnError)
	cfg := config.Register(fs)
	verify := fs.Bool("verify", false, "after rebuilding, prove the aggregates equal a recomputation from the records")
	if len(args) == 0 {
		return fmt.Errorf("%w: analytics needs a subcommand (rebuild, verify, fold)", errUsage)
	}
	sub := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := results.New(db)
	check := func() error {
		st, err := svc.VerifyRollups(ctx)
		if err != nil {
			return err
		}
		results.PrintRollupStats(os.Stdout, "indicator rollups verified", st)
		rst, err := reach.Verify(ctx, db)
		if err != nil {
			return err
		}
		rst.Print(os.Stdout, "reach bitmaps verified against the services and SQL COUNT(DISTINCT)")
		if st.Mismatches > 0 || rst.Mismatches > 0 {
			return errors.New("analytics: the aggregates differ from the records; run `ting analytics rebuild`")
		}
		return nil
	}
	switch sub {
	case "rebuild":
		st, err := svc.RebuildRollups(ctx)
		if err != nil {
			return err
		}
		results.PrintRollupStats(os.Stdout, "indicator rollups rebuilt", st)
		rst, err := reach.Rebuild(ctx, db)
		if err != nil {
			return err
		}
		rst.Print(os.Stdout, "reach bitmaps rebuilt")
		if *verify {
			return check()
		}
		return nil
	case "verify":
		return check()
	case "fold":
		n, err := reach.FoldAll(ctx, db, reach.FoldBatch(db.Dialect))
		if err != nil {
			return err
		}
		// And the folds' delta rows merged into their bitmaps, as every 8th fold would.
		if err := reach.Compact(ctx, db); err != nil {
			return err
		}
		fmt.Printf("reach: %d pending services folded into the bitmaps\n", n)
		return nil
	default:
		return fmt.Errorf("%w: analytics: unknown subcommand %q (rebuild, verify, fold)", errUsage, sub)
	}
}
