package browsertest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"ting/internal/valid"
	"ting/internal/web"
)

// TestLogin signs in in both interface languages: Chinese by default, English through the
// language link, and a wrong password answered in the language on screen.
func TestLogin(t *testing.T) {
	withBrowser(t, func(t *testing.T, e *env) {
		t.Run("zh", func(t *testing.T) {
			tab := e.tab(t)
			e.open(t, tab, "/login", 200)
			if got := htmlLang(t, tab); got != "zh-CN" {
				t.Errorf("login page lang = %q, want zh-CN (Chinese is the default)", got)
			}
			if got := text(t, tab, "h1"); got != "登录" {
				t.Errorf("login heading = %q, want 登录", got)
			}
			screenshot(t, tab, "screenshot-login-zh.png")

			if st := e.login(t, tab, "zh", jiangsuUser, "not-the-password"); st != 401 {
				t.Fatalf("wrong password: status %d, want 401", st)
			}
			if got, want := text(t, tab, "#login-error"), web.NewTr("zh").T("login.bad"); got != want || !strings.Contains(got, "密码") {
				t.Errorf("wrong-password message = %q, want %q", got, want)
			}
			if got := value(t, tab, "#username"); got != jiangsuUser {
				t.Errorf("username after a failed attempt = %q, want it kept (%q)", got, jiangsuUser)
			}

			e.mustLogin(t, tab, "zh", jiangsuUser)
			if nav := text(t, tab, "nav.main"); !strings.Contains(nav, "项目网络") {
				t.Errorf("navigation after login = %q, want it to offer 项目网络", nav)
			}
			if got := htmlLang(t, tab); got != "zh-CN" {
				t.Errorf("home page lang = %q, want zh-CN", got)
			}
		})

		t.Run("en", func(t *testing.T) {
			tab := e.tab(t)
			e.open(t, tab, "/login", 200)
			clickTo(t, tab, "#lang-switch", 200)
			if got := htmlLang(t, tab); got != "en" {
				t.Fatalf("after the language link, lang = %q, want en", got)
			}
			if got := text(t, tab, "h1"); got != "Sign in" {
				t.Errorf("login heading = %q, want Sign in", got)
			}

			if st := e.login(t, tab, "en", adminUser, "not-the-password"); st != 401 {
				t.Fatalf("wrong password: status %d, want 401", st)
			}
			if got, want := text(t, tab, "#login-error"), web.NewTr("en").T("login.bad"); got != want || !strings.Contains(got, "password") {
				t.Errorf("wrong-password message = %q, want %q", got, want)
			}

			e.mustLogin(t, tab, "en", adminUser)
			if got := htmlLang(t, tab); got != "en" {
				t.Errorf("home page lang = %q, want en (the language chosen before signing in)", got)
			}
			clickTo(t, tab, `nav.main a[href="/units"]`, 200)
			if got := text(t, tab, "h1"); got != "Programme network" {
				t.Errorf("units heading = %q, want Programme network", got)
			}
			screenshot(t, tab, "screenshot-units.png")
		})
	})
}

// TestBrowseTree walks the network the way a national officer does: the tree, a province, a
// city, and back up through the breadcrumbs.
func TestBrowseTree(t *testing.T) {
	withBrowser(t, func(t *testing.T, e *env) {
		tab := e.tab(t)
		e.mustLogin(t, tab, "zh", adminUser)
		e.open(t, tab, "/units", 200)
		tree := text(t, tab, "#unit-tree")
		for _, name := range []string{"全国", "安徽省", "江苏省", "合肥市", "南京市"} {
			if !strings.Contains(tree, name) {
				t.Errorf("tree %q does not show %s", tree, name)
			}
		}

		// Open Anhui from the tree.
		clickTo(t, tab, fmt.Sprintf(`#unit-tree a[href=%q]`, unitPath(e.fx.anhui)), 200)
		if got := text(t, tab, "#unit-name"); got != "安徽省" {
			t.Fatalf("province page heading = %q, want 安徽省", got)
		}
		if got := text(t, tab, "#children"); !strings.Contains(got, "合肥市") || strings.Contains(got, "南京市") {
			t.Errorf("Anhui's sub-units = %q, want Hefei and not Nanjing", got)
		}

		// Down to the city.
		clickTo(t, tab, fmt.Sprintf(`#children a[href=%q]`, unitPath(e.fx.hefei)), 200)
		if got := text(t, tab, "#unit-name"); got != "合肥市" {
			t.Fatalf("city page heading = %q, want 合肥市", got)
		}
		crumbs := strings.Join(strings.Fields(text(t, tab, ".crumbs")), " ")
		if want := "全国 › 安徽省 › 合肥市"; crumbs != want {
			t.Errorf("breadcrumbs = %q, want %q", crumbs, want)
		}

		// Back up through the breadcrumbs: province, then the national unit.
		clickTo(t, tab, fmt.Sprintf(`.crumbs a[href=%q]`, unitPath(e.fx.anhui)), 200)
		if got := text(t, tab, "#unit-name"); got != "安徽省" {
			t.Errorf("after the province crumb, heading = %q, want 安徽省", got)
		}
		clickTo(t, tab, fmt.Sprintf(`.crumbs a[href=%q]`, unitPath(e.fx.national)), 200)
		if got := text(t, tab, "#unit-name"); got != "全国" {
			t.Errorf("after the national crumb, heading = %q, want 全国", got)
		}
		if got := text(t, tab, "#children"); !strings.Contains(got, "安徽省") || !strings.Contains(got, "江苏省") {
			t.Errorf("national sub-units = %q, want both provinces", got)
		}
	})
}

var partnerURL = regexp.MustCompile(`/partners/\d+$`)

// TestCreatePartner adds a partner from a unit page: a broken first attempt shows field
// errors in the user's language and keeps what was typed; the corrected form saves.
func TestCreatePartner(t *testing.T) {
	withBrowser(t, func(t *testing.T, e *env) {
		cases := []struct {
			lang, user, unit, code, zh, en string
		}{
			{"zh", adminUser, unitPath(e.fx.hefei), "HF-WF", "合肥市妇女联合会", "Hefei Municipal Women's Federation"},
			{"en", jiangsuUser, unitPath(e.fx.nanjing), "NJ-WF", "南京市妇女联合会", "Nanjing Municipal Women's Federation"},
		}
		for _, c := range cases {
			t.Run(c.lang, func(t *testing.T) {
				tr := web.NewTr(c.lang)
				tab := e.tab(t)
				e.mustLogin(t, tab, c.lang, c.user)
				e.open(t, tab, c.unit, 200)
				clickTo(t, tab, "#add-partner", 200)

				do(t, tab, "fill the partner form",
					chromedp.SendKeys(chromedp.ID("partner-code"), strings.Replace(c.code, "-", " ", 1)),
					chromedp.SendKeys(chromedp.ID("partner-name-zh"), c.zh),
					chromedp.SendKeys(chromedp.ID("partner-name-en"), c.en),
				)
				if st := load(t, tab, "save the broken form", chromedp.Click(chromedp.ID("partner-save"))); st != 422 {
					t.Fatalf("invalid partner: status %d, want 422", st)
				}
				if got, want := text(t, tab, "#err-code"), tr.FieldError(valid.FieldError{Field: "code", Rule: "code_chars"}); got != want {
					t.Errorf("code error = %q, want %q", got, want)
				}
				if got, want := text(t, tab, "#err-type"), tr.FieldError(valid.FieldError{Field: "type", Rule: "required"}); got != want {
					t.Errorf("type error = %q, want %q", got, want)
				}
				for sel, want := range map[string]string{"#partner-code": strings.Replace(c.code, "-", " ", 1), "#partner-name-zh": c.zh, "#partner-name-en": c.en} {
					if got := value(t, tab, sel); got != want {
						t.Errorf("%s after the failed save = %q, want the typed %q", sel, got, want)
					}
				}

				do(t, tab, "correct the partner form",
					chromedp.SetValue(chromedp.ID("partner-code"), c.code),
					chromedp.SetValue(chromedp.ID("partner-type"), "womens_federation"),
				)
				clickTo(t, tab, "#partner-save", 200)
				if loc := location(t, tab); !partnerURL.MatchString(loc) {
					t.Fatalf("after saving, at %s, want a partner page", loc)
				}
				want := c.zh
				if c.lang == "en" {
					want = c.en
				}
				if got := text(t, tab, "#partner-name"); got != want {
					t.Errorf("partner page heading = %q, want %q", got, want)
				}

				// The unit page now lists it.
				e.open(t, tab, c.unit, 200)
				if got := text(t, tab, "#partners"); !strings.Contains(got, want) {
					t.Errorf("unit's partners = %q, want %q listed", got, want)
				}
			})
		}
	})
}

// TestProvincialScope checks that a provincial officer cannot reach another province by URL
// and sees only their own province in the tree.
func TestProvincialScope(t *testing.T) {
	withBrowser(t, func(t *testing.T, e *env) {
		tab := e.tab(t)
		e.mustLogin(t, tab, "zh", anhuiUser)
		tr := web.NewTr("zh")

		for _, u := range []string{unitPath(e.fx.jiangsu), unitPath(e.fx.nanjing)} {
			st := load(t, tab, "open "+u, chromedp.Navigate(e.url(u)))
			if st != 404 && st != 403 {
				t.Errorf("Anhui officer opening %s: status %d, want 404 or 403", u, st)
			}
			h1 := text(t, tab, "h1")
			if h1 != tr.T("error.not_found") && h1 != tr.T("error.forbidden") {
				t.Errorf("Anhui officer opening %s: heading %q, want the not-found or refusal text", u, h1)
			}
			if body := text(t, tab, "main"); strings.Contains(body, "江苏") || strings.Contains(body, "南京") {
				t.Errorf("refusal page for %s names the unit: %q", u, body)
			}
		}

		e.open(t, tab, "/units", 200)
		tree := text(t, tab, "#unit-tree")
		if !strings.Contains(tree, "安徽省") || !strings.Contains(tree, "合肥市") {
			t.Errorf("tree %q, want Anhui and Hefei", tree)
		}
		for _, hidden := range []string{"江苏省", "南京市", "全国"} {
			if strings.Contains(tree, hidden) {
				t.Errorf("tree %q shows %s outside the officer's province", tree, hidden)
			}
		}

		// Its own province stays reachable.
		e.open(t, tab, unitPath(e.fx.anhui), 200)
		if got := text(t, tab, "#unit-name"); got != "安徽省" {
			t.Errorf("own province heading = %q, want 安徽省", got)
		}
	})
}

// TestPhoneWidth renders the busiest pages at a phone's width: nothing may make the page
// scroll sideways (wide tables scroll inside their own box).
func TestPhoneWidth(t *testing.T) {
	withBrowser(t, func(t *testing.T, e *env) {
		tab := e.tab(t)
		do(t, tab, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(3)))
		e.mustLogin(t, tab, "en", adminUser)
		pages := []string{unitPath(e.fx.anhui), unitPath(e.fx.hefei), "/units"}
		for _, p := range pages {
			e.open(t, tab, p, 200)
			type widths struct {
				Scroll int `json:"scroll"`
				Inner  int `json:"inner"`
			}
			w := run(t, tab, "measure "+p, chromedp.Evaluate[widths](
				`({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})`))
			if w.Inner != 390 {
				// A mobile browser widens its layout viewport, zooming out, when content is
				// wider than the screen; so a grown innerWidth is overflow too.
				t.Errorf("%s: window.innerWidth = %d, want the emulated 390: content is wider than the phone", p, w.Inner)
			}
			if w.Scroll > w.Inner {
				t.Errorf("%s: page is %d px wide in a %d px window: it scrolls sideways", p, w.Scroll, w.Inner)
			}
		}
	})
}
