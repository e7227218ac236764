package browsertest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
	"ting/internal/web"
)

// officerUser is a national project officer, who defines indicators and enters values.
const officerUser = "officer"

// seedResults adds what the results pages build on and have no page for: the sex
// disaggregation, and an approved national framework with its first elements.
func seedResults(t *testing.T, db *store.DB, fx fixture) {
	t.Helper()
	ctx := context.Background()
	sys := access.System
	svc := results.New(db)
	if _, err := svc.SaveCategorySet(ctx, sys, results.CategorySet{Code: "sex", NameZH: "性别", NameEN: "Sex", Categories: []results.Category{
		{Code: "female", NameZH: "女", NameEN: "female"}, {Code: "male", NameZH: "男", NameEN: "male"}}}); err != nil {
		t.Fatal(err)
	}
	fw, err := svc.CreateFramework(ctx, sys, results.FrameworkInput{Code: "CPTING2", UnitID: fx.national.ID, NameZH: "国家逻辑框架", NameEN: "National logframe"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []results.ElementInput{
		{Kind: "development_objective", Code: "DO", NameZH: "发展目标", NameEN: "Development objective"},
		{Kind: "immediate_objective", Code: "IO1", ParentCode: "DO", NameZH: "政策框架", NameEN: "Policy framework"},
		{Kind: "output", Code: "O1.1", ParentCode: "IO1", NameZH: "多部门协调", NameEN: "Multi-sectoral coordination"},
	} {
		if _, err := svc.AddElement(ctx, sys, fw.ID, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Approve(ctx, sys, fw.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.New(db).CreateUser(ctx, sys, auth.UserInput{Username: officerUser, DisplayName: "National project officer", Password: password,
		Role: access.NationalOfficer, UnitID: fx.national.ID}); err != nil {
		t.Fatal(err)
	}
}

// withResultsBrowser is withBrowser on a fixture that also holds the results set-up.
func withResultsBrowser(t *testing.T, fn func(t *testing.T, e *env)) {
	exe := chromiumPath(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := buildFixture(t, db)
		seedResults(t, db, fx)
		srv, err := web.New(db, web.Options{Logger: slog.New(slog.NewTextHandler(t.Output(), nil)), Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium")),
			// Phone width: the entry form and the table must work there too.
			chromedp.WindowSize(412, 915),
			chromedp.Flag("accept-lang", "zh-CN,zh"),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		t.Cleanup(cancelAlloc)
		browser, cancelBrowser := chromedp.NewContext(allocCtx)
		t.Cleanup(cancelBrowser)
		if err := chromedp.Do(browser); err != nil {
			t.Fatalf("start %s: %v", exe, err)
		}
		fn(t, &env{base: ts.URL, fx: fx, browser: browser})
	})
}

// TestResultsEntryAndProgress: a national officer defines an indicator with a sex
// disaggregation, enters values with a mistake, sees the message beside the value, corrects
// it, saves, and follows the figure from the progress table down to the city and its values.
func TestResultsEntryAndProgress(t *testing.T) {
	withResultsBrowser(t, func(t *testing.T, e *env) {
		tr := web.NewTr("en")
		tab := e.tab(t)
		e.mustLogin(t, tab, "en", officerUser)
		clickTo(t, tab, `nav.main a[href="/results"]`, 200)
		clickTo(t, tab, `#framework-row-CPTING2 a[href^="/results/indicators/new"]`, 200)

		// Define the indicator, with its life-of-project target at the national unit.
		do(t, tab, "fill the indicator form",
			chromedp.SetValue(chromedp.CSS("#indicator-element"), "O1.1"),
			chromedp.SendKeys(chromedp.CSS("#indicator-code-input"), "DM"),
			chromedp.SendKeys(chromedp.CSS("#indicator-name-zh"), "接受培训的决策者"),
			chromedp.SendKeys(chromedp.CSS("#indicator-name-en"), "Decision makers trained"),
			chromedp.Click(chromedp.CSS("#set-sex")),
			chromedp.SendKeys(chromedp.CSS("#indicator-target"), "350"),
		)
		clickTo(t, tab, "#indicator-save", 200)
		if got := text(t, tab, "#indicator-name"); got != "Decision makers trained" {
			t.Fatalf("indicator page heading = %q", got)
		}
		if got := text(t, tab, "#indicator-disaggregations"); !strings.Contains(got, "female") || !strings.Contains(got, "male") {
			t.Errorf("disaggregations shown = %q", got)
		}
		if got := text(t, tab, "#target-list"); !strings.Contains(got, "350") {
			t.Errorf("targets = %q, want the 350 just set", got)
		}

		// Data entry for Hefei, March 2011: a fractional count for women.
		e.open(t, tab, fmt.Sprintf("/results/entry?framework=CPTING2&unit=%d&period=2011-03", e.fx.hefei.ID), 200)
		female, male := `#row-DM input[name$=".sex:female"]`, `#row-DM input[name$=".sex:male"]`
		total := `#row-DM input[name^="v"]:not([name*="."])`
		do(t, tab, "type the values",
			chromedp.SendKeys(chromedp.CSS(total), "30"),
			chromedp.SendKeys(chromedp.CSS(female), "17.5"),
			chromedp.SendKeys(chromedp.CSS(male), "12"),
			chromedp.SetValue(chromedp.CSS("#entry-source-kind"), "report"),
			chromedp.SendKeys(chromedp.CSS("#entry-source-ref"), "AP-AH-HF/2011T1"),
		)
		clickTo(t, tab, "#entry-save", 422)
		want := tr.FieldError(valid.FieldError{Field: "value", Rule: "whole_number"})
		if got := text(t, tab, "#row-DM .field-error"); got != want {
			t.Errorf("message beside the female value = %q, want %q", got, want)
		}
		if got := text(t, tab, "#entry-errors"); !strings.Contains(got, "Decision makers trained · Sex: female") {
			t.Errorf("summary = %q, want it to name the indicator and category", got)
		}
		for sel, want := range map[string]string{female: "17.5", male: "12", total: "30", "#entry-source-ref": "AP-AH-HF/2011T1"} {
			if got := value(t, tab, sel); got != want {
				t.Errorf("%s after the refused save = %q, want the typed %q", sel, got, want)
			}
		}
		screenshot(t, tab, "screenshot-results-entry-error.png")

		do(t, tab, "correct the value", chromedp.SetValue(chromedp.CSS(female), "18"))
		clickTo(t, tab, "#entry-save", 200)
		if got := text(t, tab, ".flash"); got != tr.T("results.entry_saved") {
			t.Errorf("after saving, flash = %q", got)
		}
		if got := value(t, tab, female); got != "18" {
			t.Errorf("saved female value shown as %q", got)
		}

		// The progress table: 30 of 350 at the national level.
		clickTo(t, tab, `nav.main a[href="/results"]`, 200)
		clickTo(t, tab, "#results-progress-link", 200)
		if got := text(t, tab, "#progress-row-DM .actual"); got != "30" {
			t.Fatalf("actual in the table = %q, want 30", got)
		}
		if got := text(t, tab, "#progress-row-DM .percent"); got != "8.6%" {
			t.Errorf("%% achieved = %q, want 8.6%%", got)
		}
		if got := text(t, tab, "#progress-row-DM .badge"); got != tr.T("progress_status.behind") {
			t.Errorf("status = %q", got)
		}
		screenshot(t, tab, "screenshot-results-progress.png")

		// Drill down: the provinces, then Anhui's cities, then Hefei's values.
		clickTo(t, tab, "#progress-row-DM a.actual", 200)
		if got := text(t, tab, "#drill-row-AH .actual"); got != "30" {
			t.Errorf("Anhui in the drill-down = %q", got)
		}
		if got := text(t, tab, "#drill-row-JS"); strings.Contains(got, "30") {
			t.Errorf("Jiangsu shows Anhui's figure: %q", got)
		}
		clickTo(t, tab, "#drill-row-AH a.drill-unit", 200)
		if got := text(t, tab, "#drill-heading"); !strings.HasPrefix(got, "Anhui") {
			t.Errorf("drill heading = %q, want Anhui", got)
		}
		clickTo(t, tab, "#drill-row-AH-HF a.actual", 200)
		vals := text(t, tab, "#values-table")
		for _, want := range []string{"Hefei", "2011-03", "Sex: female", "18", "Sex: male", "12", "AP-AH-HF/2011T1", "National project officer", tr.T("value_source.report")} {
			if !strings.Contains(vals, want) {
				t.Errorf("values table does not show %q:\n%s", want, vals)
			}
		}
		screenshot(t, tab, "screenshot-results-values.png")
	})
}
