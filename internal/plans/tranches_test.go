package plans

import (
	"math"
	"reflect"
	"testing"
)

func mustSchedule(t *testing.T, format, start, end string, grace int) []ReportDue {
	t.Helper()
	s, err := Schedule(format, start, end, grace)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func amounts(ts []Tranche) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.Amount
	}
	return out
}

func TestTranchePlan(t *testing.T) {
	ap12 := mustSchedule(t, ActionProgramme, "2010-03-01", "2011-02-28", 10)
	ap14 := mustSchedule(t, ActionProgramme, "2010-03-01", "2011-04-30", 10)
	apStub := mustSchedule(t, ActionProgramme, "2010-03-01", "2011-03-15", 10)
	sc := mustSchedule(t, ServiceContract, "2011-04-01", "2011-09-30", 10)
	tests := []struct {
		name     string
		format   string
		budget   int64
		share    int
		schedule []ReportDue
		want     []int64
	}{
		{"25% advance, three equal periods", ActionProgramme, 10_000_000, 2500, ap12,
			[]int64{2_500_000, 2_500_000, 2_500_000, 2_500_000}},
		// 33.33 rounds to 33; the 67 left split three ways leaves one cent for the first.
		{"cents left over go to the earliest", ActionProgramme, 100, 3333, ap12, []int64{33, 23, 22, 22}},
		{"advance rounds half up", ActionProgramme, 2, 2500, ap12, []int64{1, 1}},
		// Weights 120, 120, 120, 60: 1,000,000 × 120/420 = 285,714.28…; the cent left goes to the first.
		{"shorter last period, smaller tranche", ActionProgramme, 1_000_000, 0, ap14,
			[]int64{285_715, 285_714, 285_714, 142_857}},
		// Weights 120, 120, 135 (four months and 15 days).
		{"folded fortnight, larger tranche", ActionProgramme, 750_000, 0, apStub, []int64{240_000, 240_000, 270_000}},
		{"short format: advance and balance", ServiceContract, 5_000_000, 3000, sc, []int64{1_500_000, 3_500_000}},
		{"99.99% advance", ServiceContract, 10_000, 9999, sc, []int64{9_999, 1}},
		{"nothing to pay", ServiceContract, 0, 2500, sc, []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TranchePlan(tt.format, tt.budget, tt.share, tt.schedule)
			if err != nil {
				t.Fatal(err)
			}
			if a := amounts(got); !reflect.DeepEqual(a, tt.want) {
				t.Fatalf("amounts %v, want %v", a, tt.want)
			}
			var sum int64
			for i, tr := range got {
				sum += tr.Amount
				if tr.Seq != i+1 {
					t.Errorf("tranche %d numbered %d", i+1, tr.Seq)
				}
			}
			if sum != tt.budget {
				t.Fatalf("sum %d, budget %d", sum, tt.budget)
			}
		})
	}

	// The tranches wait on the reports of the schedule, the advance on nothing.
	got, _ := TranchePlan(ActionProgramme, 10_000_000, 2500, ap12)
	want := []Tranche{
		{Seq: 1, Kind: AdvanceTranche, Amount: 2_500_000, Due: "2010-03-01"},
		{Seq: 2, Kind: ProgressReport, Amount: 2_500_000, ReportSeq: 1, Due: "2010-07-30", GraceUntil: "2010-08-09"},
		{Seq: 3, Kind: ProgressReport, Amount: 2_500_000, ReportSeq: 2, Due: "2010-11-30", GraceUntil: "2010-12-10"},
		{Seq: 4, Kind: FinalReport, Amount: 2_500_000, ReportSeq: 3, Due: "2011-04-29", GraceUntil: "2011-05-09"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	// A zero advance is no tranche; numbering starts at the first report's tranche.
	got, _ = TranchePlan(ServiceContract, 500, 0, sc)
	if len(got) != 1 || got[0].Seq != 1 || got[0].ReportSeq != 1 || got[0].Kind != FinalReport {
		t.Fatalf("zero advance: %+v", got)
	}

	bad := []struct {
		name     string
		format   string
		budget   int64
		share    int
		schedule []ReportDue
	}{
		{"unknown format", "workshop", 100, 0, sc},
		{"negative budget", ServiceContract, -1, 0, sc},
		{"budget too large", ServiceContract, MaxAmount + 1, 0, sc},
		{"advance of 100%", ServiceContract, 100, 10000, sc},
		{"negative advance", ServiceContract, 100, -1, sc},
		{"no schedule", ServiceContract, 100, 0, nil},
		{"progress reports for a short format", ServiceContract, 100, 0, ap12},
		{"final report not last", ActionProgramme, 100, 0, []ReportDue{ap12[2], ap12[0]}},
		{"missing report", ActionProgramme, 100, 0, []ReportDue{ap12[0], ap12[2]}},
		{"bad date", ServiceContract, 100, 0, []ReportDue{{Seq: 1, Kind: FinalReport, PeriodStart: "x"}}},
	}
	for _, b := range bad {
		if _, err := TranchePlan(b.format, b.budget, b.share, b.schedule); err == nil {
			t.Errorf("%s: accepted", b.name)
		}
	}
}

func TestSplitLargestRemainder(t *testing.T) {
	tests := []struct {
		total   uint64
		weights []uint64
		want    []uint64
	}{
		{10, []uint64{1, 1, 1}, []uint64{4, 3, 3}},
		{2, []uint64{1, 1, 1}, []uint64{1, 1, 0}},
		{100, []uint64{1, 2, 3}, []uint64{17, 33, 50}},  // 16.67, 33.33, 50
		{7, []uint64{120, 120, 135}, []uint64{2, 2, 3}}, // 2.24, 2.24, 2.52
		{5, []uint64{0, 3}, []uint64{0, 5}},             // a zero weight gets nothing
		{5, []uint64{0, 0}, []uint64{0, 0}},
		// Near the cap: 10^14·1111/1112 leaves remainder 48, 10^14/1112 remainder 1064.
		{uint64(MaxAmount), []uint64{1111, 1}, []uint64{99_910_071_942_446, 89_928_057_554}},
	}
	for _, tt := range tests {
		if got := splitLargestRemainder(tt.total, tt.weights); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("split %d by %v = %v, want %v", tt.total, tt.weights, got, tt.want)
		}
	}
}

func TestReleasable(t *testing.T) {
	advance := Tranche{Seq: 1, Kind: AdvanceTranche, Amount: 100, Due: "2010-03-01"}
	progress := Tranche{Seq: 2, Kind: ProgressReport, Amount: 100, ReportSeq: 1, Due: "2010-07-30"}
	final := Tranche{Seq: 3, Kind: FinalReport, Amount: 100, ReportSeq: 2, Due: "2011-04-29"}
	released := progress
	released.ReleasedOn = "2010-09-01"
	tests := []struct {
		name   string
		t      Tranche
		status string
		want   bool
	}{
		{"advance at launch", advance, "", true},
		{"progress, no report", progress, "", false},
		{"progress, draft", progress, StatusDraft, false},
		{"progress, submitted", progress, StatusSubmitted, false},
		{"progress, reviewed by the province", progress, StatusReviewed, false},
		{"progress, returned", progress, StatusReturned, false},
		{"progress, approved", progress, StatusApproved, true},
		{"final, approved", final, StatusApproved, true},
		{"final, reviewed", final, StatusReviewed, false},
		{"released already", released, StatusApproved, false},
	}
	for _, tt := range tests {
		if got := Releasable(tt.t, tt.status); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestWithheld(t *testing.T) {
	sched := mustSchedule(t, ActionProgramme, "2010-03-01", "2011-02-28", 10)
	plan, err := TranchePlan(ActionProgramme, 10_000_000, 2500, sched)
	if err != nil {
		t.Fatal(err)
	}
	plan[0].ReleasedOn = "2010-03-05" // the advance was paid
	type row struct {
		seq    int
		reason string
		since  string
		days   int
		late   bool
	}
	tests := []struct {
		name    string
		reports map[int]ReportState
		asOf    string
		want    []row
	}{
		{"nothing due yet", nil, "2010-07-30", nil},
		{"first report not written, in grace", nil, "2010-08-05", []row{{2, WaitNotSubmitted, "2010-07-30", 6, false}}},
		{"first report not written, past grace", nil, "2010-08-20", []row{{2, WaitNotSubmitted, "2010-07-30", 21, true}}},
		{"approved but not paid; second in review, submitted late; final not due", map[int]ReportState{
			1: {Status: StatusApproved, SubmittedOn: "2010-08-05", ApprovedOn: "2010-08-20"},
			2: {Status: StatusSubmitted, SubmittedOn: "2010-12-20"},
		}, "2011-01-15", []row{
			{2, WaitRelease, "2010-08-20", 148, false},
			{3, WaitInReview, "2010-11-30", 46, true},
		}},
		{"approved early, waits from the due date", map[int]ReportState{
			1: {Status: StatusApproved, SubmittedOn: "2010-07-01", ApprovedOn: "2010-07-20"},
		}, "2010-08-01", []row{{2, WaitRelease, "2010-07-30", 2, false}}},
		{"returned, draft and missing", map[int]ReportState{
			1: {Status: StatusReturned, SubmittedOn: "2010-08-01"},
			2: {Status: StatusDraft},
		}, "2011-06-01", []row{
			{2, WaitReturned, "2010-07-30", 306, false},
			{3, WaitNotSubmitted, "2010-11-30", 183, true},
			{4, WaitNotSubmitted, "2011-04-29", 33, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Withheld(plan, tt.reports, tt.asOf)
			if err != nil {
				t.Fatal(err)
			}
			var rows []row
			for _, w := range got {
				rows = append(rows, row{w.Tranche.Seq, w.Reason, w.Since, w.Days, w.Late})
			}
			if !reflect.DeepEqual(rows, tt.want) {
				t.Fatalf("got %+v\nwant %+v", rows, tt.want)
			}
		})
	}

	// An unpaid advance waits on the office from the start.
	unpaid, _ := TranchePlan(ServiceContract, 1000, 2000, mustSchedule(t, ServiceContract, "2011-04-01", "2011-09-30", 0))
	got, err := Withheld(unpaid, nil, "2011-04-11")
	if err != nil || len(got) != 1 || got[0].Reason != WaitRelease || got[0].Days != 10 || got[0].Tranche.Amount != 200 {
		t.Fatalf("unpaid advance: %+v %v", got, err)
	}
	if _, err := Withheld(plan, map[int]ReportState{1: {Status: "lost"}}, "2011-01-01"); err == nil {
		t.Error("unknown status accepted")
	}
	if _, err := Withheld(plan, nil, "someday"); err == nil {
		t.Error("bad date accepted")
	}
}

func TestBurnRate(t *testing.T) {
	const tol = 0.15
	tests := []struct {
		name             string
		spent, budget    int64
		start, end, asOf string
		spentShare, time float64
		status           string
	}{
		{"in step", 50, 100, "2011-01-01", "2011-01-10", "2011-01-05", 0.5, 0.5, BurnOnTrack},
		{"within tolerance", 45, 100, "2011-01-01", "2011-01-10", "2011-01-05", 0.45, 0.5, BurnOnTrack},
		{"behind", 20, 100, "2011-01-01", "2011-01-10", "2011-01-05", 0.2, 0.5, BurnBehind},
		{"ahead", 90, 100, "2011-01-01", "2011-01-10", "2011-01-05", 0.9, 0.5, BurnAhead},
		{"overspent", 101, 100, "2011-01-01", "2011-01-10", "2011-01-10", 1.01, 1, BurnOverspent},
		{"not started", 0, 100, "2011-01-01", "2011-01-10", "2010-12-31", 0, 0, BurnNotStarted},
		{"spent before the start", 10, 100, "2011-01-01", "2011-01-10", "2010-12-31", 0.1, 0, BurnAhead},
		{"first day counts", 10, 100, "2011-01-01", "2011-01-10", "2011-01-01", 0.1, 0.1, BurnOnTrack},
		{"after the end, time stops", 100, 100, "2011-01-01", "2011-01-10", "2012-06-30", 1, 1, BurnOnTrack},
		{"closed underspent", 50, 100, "2011-01-01", "2011-01-10", "2012-06-30", 0.5, 1, BurnBehind},
		{"one-day seminar on its day", 100, 100, "2012-02-20", "2012-02-20", "2012-02-20", 1, 1, BurnOnTrack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := BurnRate(tt.spent, tt.budget, tt.start, tt.end, tt.asOf)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(b.SpentShare-tt.spentShare) > 1e-9 || math.Abs(b.TimeShare-tt.time) > 1e-9 {
				t.Fatalf("shares %v %v, want %v %v", b.SpentShare, b.TimeShare, tt.spentShare, tt.time)
			}
			if tt.time > 0 && math.Abs(b.Pace-tt.spentShare/tt.time) > 1e-9 || tt.time == 0 && b.Pace != 0 {
				t.Fatalf("pace %v", b.Pace)
			}
			if s := b.Status(tol); s != tt.status {
				t.Fatalf("status %s, want %s", s, tt.status)
			}
		})
	}
	for _, bad := range []struct {
		spent, budget    int64
		start, end, asOf string
	}{
		{0, 0, "2011-01-01", "2011-01-10", "2011-01-05"},
		{-1, 100, "2011-01-01", "2011-01-10", "2011-01-05"},
		{0, 100, "2011-01-10", "2011-01-01", "2011-01-05"},
		{0, 100, "2011-01-01", "2011-01-10", ""},
	} {
		if _, err := BurnRate(bad.spent, bad.budget, bad.start, bad.end, bad.asOf); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
