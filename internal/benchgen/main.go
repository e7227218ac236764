package benchgen

import (
	"context"
	"flag"
	"fmt"
	"io"

	"ting/internal/store"
)

// Main is `ting bench progress`: it parses args into a Spec (flags -units, -indicators,
// -months, -sets, -share, -seed, -period, -reps, -budget, -nocopy, -existing; defaults from
// DefaultSpec), then generates the data into db, which must be migrated and hold no units,
// measures, and prints the report to w. With -existing it measures the benchmark data an earlier
// run left in db instead (the size flags are then ignored). It returns an error when a flag is
// wrong, the database is not empty (or, with -existing, holds no benchmark data), or the service
// and the SQL baseline disagree.
func Main(ctx context.Context, db *store.DB, args []string, w io.Writer) error {
	spec, err := ParseFlags(args, w)
	if err != nil {
		return err
	}
	if !spec.Existing {
		_, err = Run(ctx, db, spec, w)
		return err
	}
	g, err := Existing(ctx, db)
	if err != nil {
		return err
	}
	r, err := Measure(ctx, db, g, spec, w)
	if err != nil {
		return err
	}
	Print(w, r)
	return nil
}

// ParseFlags reads Main's flags; usage goes to w.
func ParseFlags(args []string, w io.Writer) (Spec, error) {
	d := DefaultSpec
	fs := flag.NewFlagSet("bench progress", flag.ContinueOnError)
	fs.SetOutput(w)
	var s Spec
	fs.IntVar(&s.Units, "units", d.Units, "units in the five-level network, about")
	fs.IntVar(&s.Indicators, "indicators", d.Indicators, "count indicators, summed")
	fs.IntVar(&s.Months, "months", d.Months, "months of values from 2010-01")
	fs.IntVar(&s.CategorySets, "sets", d.CategorySets, "category sets (disaggregations); each indicator is disaggregated by one")
	fs.Float64Var(&s.ReportingShare, "share", d.ReportingShare, "share of community units that report values")
	fs.Uint64Var(&s.Seed, "seed", d.Seed, "random seed")
	fs.StringVar(&s.Period, "period", d.Period, "period of the table and drill-down (2011, 2011S1, 2011Q1, 2011-03, LOP)")
	fs.IntVar(&s.Reps, "reps", d.Reps, "timed repetitions of each measurement")
	fs.DurationVar(&s.Budget, "budget", d.Budget, "time after which a measurement stops repeating (once it has run 3 times)")
	fs.BoolVar(&s.NoCopy, "nocopy", false, "PostgreSQL: load with multi-row INSERTs instead of COPY")
	fs.BoolVar(&s.Existing, "existing", false, "measure the benchmark data an earlier run left in the database instead of generating")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("bench progress: unexpected arguments %q", fs.Args())
	}
	if s.CategorySets == 0 {
		s.CategorySets = -1 // in a Spec, 0 means the default
	}
	return s, s.check() // every field is set: a zero given on the command line is refused, not defaulted

}
