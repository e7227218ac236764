package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/org"
	"ting/internal/seal"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/web"
)

// stepTimeout bounds every browser step, so a selector that never matches fails the test
// quickly instead of running into go test's global timeout.
const stepTimeout = 30 * time.Second

// password is shared by the fixture's accounts; it only has to pass the strength rule.
const password = "browser-test-2012"

// fixture is a small programme network: the national unit, two provinces (one sending, one
// receiving) with a city each, a partner at Anhui, and one account per role the tests need.
type fixture struct {
	national, anhui, jiangsu, hefei, nanjing org.Unit
}

// Logins, each bound to its unit. They have no language preference, so the language of the
// first sign-in is the one they keep.
const (
	adminUser   = "admin"   // national_admin at the national unit
	anhuiUser   = "anhui"   // provincial_officer at Anhui
	jiangsuUser = "jiangsu" // provincial_officer at Jiangsu
)

func buildFixture(t *testing.T, db *store.DB) fixture {
	t.Helper()
	ctx := context.Background()
	o, a := org.New(db), access.System
	unit := func(code string, level org.Level, parent int64, zh, en string, tags ...string) org.Unit {
		t.Helper()
		u, err := o.CreateUnit(ctx, a, org.UnitInput{Code: code, Level: level, ParentID: parent, NameZH: zh, NameEN: en, Tags: tags, Effective: "2010-01-01"})
		if err != nil {
			t.Fatalf("create unit %s: %v", code, err)
		}
		return u
	}
	var f fixture
	f.national = unit("CN", org.National, 0, "全国", "National")
	f.anhui = unit("AH", org.Provincial, f.national.ID, "安徽省", "Anhui", "pilot", "sending")
	f.jiangsu = unit("JS", org.Provincial, f.national.ID, "江苏省", "Jiangsu", "pilot", "receiving")
	f.hefei = unit("AH-HF", org.Municipal, f.anhui.ID, "合肥市", "Hefei")
	f.nanjing = unit("JS-NJ", org.Municipal, f.jiangsu.ID, "南京市", "Nanjing")
	yes := true
	if _, err := o.CreatePartner(ctx, a, org.PartnerInput{Code: "AH-WF", UnitID: f.anhui.ID, Type: "womens_federation",
		NameZH: "安徽省妇女联合会", NameEN: "Anhui Provincial Women's Federation", Active: &yes}); err != nil {
		t.Fatalf("create partner: %v", err)
	}
	users := auth.New(db)
	for _, u := range []struct {
		name, display string
		role          access.Role
		unit          org.Unit
	}{
		{adminUser, "National administrator", access.NationalAdmin, f.national},
		{anhuiUser, "Anhui provincial officer", access.ProvincialOfficer, f.anhui},
		{jiangsuUser, "Jiangsu provincial officer", access.ProvincialOfficer, f.jiangsu},
	} {
		if _, err := users.CreateUser(ctx, a, auth.UserInput{Username: u.name, DisplayName: u.display, Password: password, Role: u.role, UnitID: u.unit.ID}); err != nil {
			t.Fatalf("create user %s: %v", u.name, err)
		}
	}
	return f
}

// testKeys is the test servers' personal-data keyring: one fixed key, so beneficiary cards
// can be registered and their protected fields opened, as on a server given a key file.
func testKeys(t *testing.T) *seal.Keyring {
	t.Helper()
	k, err := seal.NewKeyring(map[byte][]byte{1: bytes.Repeat([]byte{0x5a}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// chromiumPath finds the browser: $CHROMIUM, Debian's /usr/bin/chromium, or chromium on PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium"}
	if p, err := exec.LookPath("chromium"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but no Chromium found ($CHROMIUM, /usr/bin/chromium, chromium in PATH): browser tests must run in CI")
	}
	t.Skip("no Chromium found; set $CHROMIUM or install chromium to run the browser tests")
	return ""
}

// env is one running server with its database and one browser.
type env struct {
	base    string
	fx      fixture
	browser context.Context
}

// withBrowser runs fn once per test database (SQLite, and PostgreSQL when configured), each
// time against a fresh fixture, a fresh server and a fresh browser shared by fn's tabs.
func withBrowser(t *testing.T, fn func(t *testing.T, e *env)) {
	exe := chromiumPath(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := buildFixture(t, db)
		// Server logs go to the test's output, which go test shows only when a test fails.
		srv, err := web.New(db, web.Options{Logger: slog.New(slog.NewTextHandler(t.Output(), nil)), Version: "test", Keys: testKeys(t)})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)

		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(exe),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium")),
			chromedp.WindowSize(1280, 900),
			// The programme's users run Chinese browsers; English is reached with the
			// language link, as the tests do.
			chromedp.Flag("accept-lang", "zh-CN,zh"),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		t.Cleanup(cancelAlloc)
		browser, cancelBrowser := chromedp.NewContext(allocCtx)
		t.Cleanup(cancelBrowser)
		// The first Do starts the browser and ties its life to this context, so it must not
		// carry a step timeout.
		if err := chromedp.Do(browser); err != nil {
			t.Fatalf("start %s: %v", exe, err)
		}
		fn(t, &env{base: ts.URL, fx: fx, browser: browser})
	})
}

// tab opens a tab in a browser context of its own: no cookies, no session and no language
// choice carry over from other tabs.
func (e *env) tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return ctx
}

func (e *env) url(path string) string { return e.base + path }

func unitPath(u org.Unit) string { return fmt.Sprintf("/units/%d", u.ID) }

// run executes one action under the step timeout and returns its value.
func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// do executes actions that return nothing, under one step timeout.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	run(t, ctx, what, chromedp.Steps(steps...))
}

// load runs the steps (a navigation or a click that leads to one), waits for the new page
// and returns the HTTP status of its document.
func load(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(c, steps...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp == nil {
		t.Fatalf("%s: no document response", what)
	}
	return resp.Status
}

// open navigates to path and requires the given status.
func (e *env) open(t *testing.T, ctx context.Context, path string, want int64) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(c, chromedp.NavigateResponse(e.url(path)))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if resp.Status != want {
		t.Fatalf("open %s: status %d, want %d", path, resp.Status, want)
	}
}

// clickTo clicks sel, waits for the page it leads to and requires the given status.
func clickTo(t *testing.T, ctx context.Context, sel string, want int64) {
	t.Helper()
	if got := load(t, ctx, "click "+sel, chromedp.Click(chromedp.CSS(sel))); got != want {
		t.Fatalf("click %s: status %d, want %d (now at %s)", sel, got, want, location(t, ctx))
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(run(t, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

func value(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return run(t, ctx, "value of "+sel, chromedp.Value(chromedp.CSS(sel)))
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, "location", chromedp.Location())
}

func htmlLang(t *testing.T, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, "html lang", chromedp.Evaluate[string](`document.documentElement.lang`))
}

// login signs in from the login page. lang "en" switches the page to English first with the
// language link, as a user would; "zh" keeps the default. It returns the status of the page
// the form leads to: 303 is followed, so success is the 200 of the landing page.
func (e *env) login(t *testing.T, ctx context.Context, lang, user, pw string) int64 {
	t.Helper()
	e.open(t, ctx, "/login", 200)
	if lang == "en" && htmlLang(t, ctx) != "en" {
		clickTo(t, ctx, "#lang-switch", 200)
	}
	do(t, ctx, "fill the login form",
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), pw),
	)
	return load(t, ctx, "submit login", chromedp.Click(chromedp.ID("login-submit")))
}

// mustLogin signs in and fails the test unless the home page follows.
func (e *env) mustLogin(t *testing.T, ctx context.Context, lang, user string) {
	t.Helper()
	if st := e.login(t, ctx, lang, user, password); st != 200 {
		t.Fatalf("login %s: status %d (at %s)", user, st, location(t, ctx))
	}
	if got := location(t, ctx); got != e.url("/") {
		t.Fatalf("login %s: landed on %s, want /", user, got)
	}
}

// screenshot writes a full-page PNG into $TING_SCREENSHOTS when it is set (for the README);
// a relative directory is taken from the repository root.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("TING_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		// go test runs in the package directory; a relative path means the repository's.
		dir = filepath.Join("..", "..", dir)
	}
	buf := run(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}
