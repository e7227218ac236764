package browsertest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
	"ting/internal/web"
)

// The caseworkers of the cards test, each at a community (a service site) of their province.
// Anhui's and Jiangsu's provincial officers (anhuiUser, jiangsuUser) and the national
// administrator (adminUser) come from the fixture.
const (
	caseAHUser = "caseah" // caseworker at Dianbu community, Feidong county, Hefei, Anhui
	caseJSUser = "casejs" // caseworker at Dongshan community, Jiangning district, Nanjing, Jiangsu
)

// cardsToday is the date the server judges cards by: services and consents may not be later,
// and reach's default window is the twelve months up to it, which holds every service below.
const cardsToday = "2012-06-30"

// cardsEnv is env with the two service sites.
type cardsEnv struct {
	*env
	ahSite, jsSite org.Unit
}

// seedCards adds a county and a community under each province's city, and a caseworker at
// each community.
func seedCards(t *testing.T, db *store.DB, fx fixture) (ahSite, jsSite org.Unit) {
	t.Helper()
	ctx := context.Background()
	o := org.New(db)
	unit := func(code string, level org.Level, parent int64, zh, en string) org.Unit {
		t.Helper()
		u, err := o.CreateUnit(ctx, access.System, org.UnitInput{Code: code, Level: level, ParentID: parent, NameZH: zh, NameEN: en, Effective: "2010-01-01"})
		if err != nil {
			t.Fatalf("create unit %s: %v", code, err)
		}
		return u
	}
	feidong := unit("AH-HF-FD", org.County, fx.hefei.ID, "肥东县", "Feidong County")
	ahSite = unit("AH-HF-FD-01", org.Community, feidong.ID, "店埠社区", "Dianbu Community")
	jiangning := unit("JS-NJ-JN", org.County, fx.nanjing.ID, "江宁区", "Jiangning District")
	jsSite = unit("JS-NJ-JN-01", org.Community, jiangning.ID, "东山社区", "Dongshan Community")
	users := auth.New(db)
	for _, u := range []auth.UserInput{
		{Username: caseAHUser, DisplayName: "Dianbu caseworker", Password: password, Role: access.Caseworker, UnitID: ahSite.ID},
		{Username: caseJSUser, DisplayName: "Dongshan caseworker", Password: password, Role: access.Caseworker, UnitID: jsSite.ID},
	} {
		if _, err := users.CreateUser(ctx, access.System, u); err != nil {
			t.Fatalf("create user %s: %v", u.Username, err)
		}
	}
	return ahSite, jsSite
}

// withCardsBrowser is withBrowser on a server holding a personal-data key and judging dates as
// of cardsToday, with the two sites and their caseworkers.
func withCardsBrowser(t *testing.T, fn func(t *testing.T, e *cardsEnv)) {
	exe := chromiumPath(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := buildFixture(t, db)
		ahSite, jsSite := seedCards(t, db, fx)
		srv, err := web.New(db, web.Options{Logger: slog.New(slog.NewTextHandler(t.Output(), nil)), Version: "test",
			Keys: testKeys(t), Today: func() string { return cardsToday }})
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
			chromedp.WindowSize(1280, 900),
			chromedp.Flag("accept-lang", "zh-CN,zh"),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		t.Cleanup(cancelAlloc)
		browser, cancelBrowser := chromedp.NewContext(allocCtx)
		t.Cleanup(cancelBrowser)
		if err := chromedp.Do(browser); err != nil {
			t.Fatalf("start %s: %v", exe, err)
		}
		fn(t, &cardsEnv{env: &env{base: ts.URL, fx: fx, browser: browser}, ahSite: ahSite, jsSite: jsSite})
	})
}

// atRegistration are the purposes consented to on the registration form: services and
// reporting, not referral, which is asked for when a referral is needed.
var atRegistration = []string{"services", "reporting"}

// person is what the registration form is filled with.
type person struct {
	sex, birth, ethnicity, group, status string
	name, phone, guardian                string // guardian: also the giver of a minor's consent
}

// minor reports whether the person is under the age of consent today.
func (p person) minor() bool { return beneficiaries.AgeOn(p.birth, cardsToday) < beneficiaries.Adult }

// fillCard fills the registration form on /cards, consenting to services and reporting; the
// guardian is typed only when withGuardian is set.
func fillCard(t *testing.T, ctx context.Context, site org.Unit, p person, withGuardian bool) {
	t.Helper()
	giver := "self"
	if p.minor() {
		giver = "guardian"
	}
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.ID("card-site_id"), strconv.FormatInt(site.ID, 10)),
		chromedp.SetValue(chromedp.ID("card-sex"), p.sex),
		chromedp.SendKeys(chromedp.ID("card-birth"), p.birth),
		chromedp.SendKeys(chromedp.ID("card-ethnicity"), p.ethnicity),
		chromedp.SetValue(chromedp.ID("card-status"), p.status),
		chromedp.Click(chromedp.ID("card-group-" + p.group)),
		chromedp.SendKeys(chromedp.ID("card-name"), p.name),
		chromedp.SendKeys(chromedp.ID("card-phone"), p.phone),
		chromedp.SetValue(chromedp.ID("card-consent_given_by"), giver),
	}
	for _, purpose := range atRegistration {
		steps = append(steps, chromedp.Click(chromedp.ID("card-consent-"+purpose)))
	}
	if giver == "guardian" {
		steps = append(steps, chromedp.SendKeys(chromedp.ID("card-consent_giver"), p.guardian))
	}
	if withGuardian {
		steps = append(steps, chromedp.SendKeys(chromedp.ID("card-guardian"), p.guardian))
	}
	do(t, ctx, "fill the card form for "+p.name, steps...)
}

// addService records one service on the card page open in ctx, at the card's own site (the
// form's default), and requires the page to come back with it listed.
func addService(t *testing.T, ctx context.Context, typ, date, provider string) {
	t.Helper()
	before := count(t, ctx, "#services-table tbody tr[id^='service-']")
	do(t, ctx, "fill the service form "+date,
		chromedp.SetValue(chromedp.ID("service-type"), typ),
		chromedp.SetValue(chromedp.ID("service-date"), date),
		chromedp.SendKeys(chromedp.ID("service-provider"), provider),
	)
	clickTo(t, ctx, "#service-submit", 200)
	if n := count(t, ctx, "#services-table tbody tr[id^='service-']"); n != before+1 {
		t.Fatalf("after adding the %s service of %s the card lists %d services, want %d", typ, date, n, before+1)
	}
	if got := text(t, ctx, "#services-table tbody"); !strings.Contains(got, date) {
		t.Errorf("services %q do not show the one of %s", got, date)
	}
}

// reachLedger is the test's own account of who was served where and when: the figure every
// reach page must show is the number of distinct people in it, computed here from what the
// test did, not typed in.
type reachLedger map[string]map[string]bool // card number → set of unit codes served at (with their ancestors)

// serve records that card was served at the site whose code is given; the site's ancestors
// (codes are prefixes of their children's, as in the fixture) are counted with it.
func (l reachLedger) serve(card, site string) {
	if l[card] == nil {
		l[card] = map[string]bool{}
	}
	parts := strings.Split(site, "-")
	for i := range parts {
		l[card][strings.Join(parts[:i+1], "-")] = true
	}
	l[card]["CN"] = true
}

// people is the number of distinct people served under the unit with the given code.
func (l reachLedger) people(code string) int {
	n := 0
	for _, units := range l {
		if units[code] {
			n++
		}
	}
	return n
}

// reach opens the reach page of a unit with its default filter (the twelve months up to today,
// every service, everyone) and returns the figure, after checking the page names the unit.
func (e *cardsEnv) reach(t *testing.T, ctx context.Context, u org.Unit, lang string) int {
	t.Helper()
	e.open(t, ctx, fmt.Sprintf("/reach?unit=%d", u.ID), 200)
	if got, want := text(t, ctx, "#reach-unit"), u.Name(lang); got != want {
		t.Errorf("reach page of %s names %q, want %q", u.Code, got, want)
	}
	return atoi(t, "reach figure of "+u.Code, text(t, ctx, "#reach-figure"))
}

func atoi(t *testing.T, what, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(s), ",", "")) // 67,863
	if err != nil {
		t.Fatalf("%s: %q is not a number", what, s)
	}
	return n
}

func cardPath(id int64) string { return fmt.Sprintf("/cards/%d", id) }

// TestCardsRegisterReferReach follows one person through the beneficiary pages in headless
// Chromium: Anhui's caseworker sees reach 0, registers a minor (refused beside the guardian
// field, then saved), is stopped registering her again as a likely duplicate and opens her
// card instead; records two services in different months and reads her name for a logged
// reason, which the administrator finds in the access log. Jiangsu's officer and caseworker
// cannot open or list the card. A referral to a Jiangsu site is refused without referral
// consent, and sent once the guardian's consent is recorded; Jiangsu's caseworker (in English)
// accepts it and opens the card without her name, and Anhui sees the referral accepted.
// Anhui's officer sees reach 1; a third service in a month already counted keeps it at 1; a
// second person makes it 2; the national view is the sum of the provinces, and still counts
// the referred girl once when Jiangsu serves her too.
func TestCardsRegisterReferReach(t *testing.T) {
	withCardsBrowser(t, func(t *testing.T, e *cardsEnv) {
		zh, en := web.NewTr("zh"), web.NewTr("en")
		ledger := reachLedger{}
		girl := person{sex: "F", birth: "2000-03-04", ethnicity: "汉族", group: "left_behind", status: "in_school",
			name: "王小梅", phone: "13800000001", guardian: "王大山"}
		woman := person{sex: "F", birth: "1990-08-12", ethnicity: "回族", group: "young_woman_worker", status: "working",
			name: "李娟", phone: "13900000002"}
		if !girl.minor() || woman.minor() {
			t.Fatalf("scenario: on %s %s must be a minor and %s an adult", cardsToday, girl.name, woman.name)
		}
		// The first card of a site is numbered with the site's code and sequence 1.
		girlNumber := fmt.Sprintf("%s-%06d", e.ahSite.Code, 1)

		// ---- 1. Anhui's caseworker: reach 0, a refused and a saved registration, a duplicate ----
		ah := e.tab(t)
		e.mustLogin(t, ah, "zh", caseAHUser)
		clickTo(t, ah, "nav.main #nav-beneficiaries", 200)
		clickTo(t, ah, "#cards-nav #nav-reach", 200)
		if got := text(t, ah, "#reach-unit"); got != e.ahSite.Name("zh") {
			t.Errorf("caseworker's reach page is about %q, want their site %s", got, e.ahSite.Name("zh"))
		}
		if got, want := atoi(t, "caseworker's reach", text(t, ah, "#reach-figure")), ledger.people(e.ahSite.Code); got != want {
			t.Errorf("reach of the caseworker's site before any card = %d, want %d", got, want)
		}

		clickTo(t, ah, "#cards-nav #nav-cards", 200)
		if n := count(t, ah, "#no-key"); n != 0 {
			t.Fatal("the server has a key, but the card form says none is configured")
		}
		fillCard(t, ah, e.ahSite, girl, false)
		clickTo(t, ah, "#card-register", 422)
		if got := htmlLang(t, ah); got != "zh-CN" {
			t.Errorf("refused registration page lang = %q, want zh-CN", got)
		}
		guardianMsg := zh.FieldError(valid.FieldError{Field: "guardian", Rule: "guardian_minor", Param: strconv.Itoa(beneficiaries.Adult)})
		if got := text(t, ah, "#err-guardian"); got != guardianMsg {
			t.Errorf("message beside the guardian = %q, want %q", got, guardianMsg)
		}
		if got := run(t, ah, "label of the message", chromedp.Evaluate[string](`document.getElementById('err-guardian').closest('label').htmlFor`)); got != "card-guardian" {
			t.Errorf("the guardian message sits in the label of %q, want card-guardian", got)
		}
		if n := count(t, ah, "#card-form .field-error"); n != 1 {
			t.Errorf("%d messages on the card form, want only the guardian's", n)
		}
		for sel, want := range map[string]string{"#card-name": girl.name, "#card-birth": girl.birth, "#card-phone": girl.phone,
			"#card-consent_giver": girl.guardian, "#card-site_id": strconv.FormatInt(e.ahSite.ID, 10)} {
			if got := value(t, ah, sel); got != want {
				t.Errorf("%s after the refusal = %q, want the typed %q", sel, got, want)
			}
		}
		checked := run(t, ah, "checked boxes", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#card-form input[type=checkbox]:checked')].map(x => x.id)`))
		want := []string{"card-group-" + girl.group}
		for _, purpose := range atRegistration {
			want = append(want, "card-consent-"+purpose)
		}
		if strings.Join(checked, ",") != strings.Join(want, ",") {
			t.Errorf("boxes ticked after the refusal = %v, want %v", checked, want)
		}
		if n := count(t, ah, "#cards-table tbody tr[id^='card-']"); n != 0 {
			t.Errorf("a refused registration left %d cards", n)
		}

		do(t, ah, "name the guardian", chromedp.SendKeys(chromedp.ID("card-guardian"), girl.guardian))
		clickTo(t, ah, "#card-register", 200)
		girlID := idAfter(t, ah, "/cards/")
		if got := text(t, ah, ".flash"); got != zh.T("cards.registered") {
			t.Errorf("after registering, flash = %q", got)
		}
		if got := text(t, ah, "#card-number"); got != girlNumber {
			t.Errorf("card number = %q, want %q", got, girlNumber)
		}
		if got := text(t, ah, "#card-groups"); got != zh.T("tgroup."+girl.group) {
			t.Errorf("target groups = %q", got)
		}
		if body := text(t, ah, "main"); strings.Contains(body, girl.name) || strings.Contains(body, girl.guardian) || strings.Contains(body, girl.phone) {
			t.Errorf("the new card shows personal details before anyone asked to see them: %q", body)
		}
		if n := count(t, ah, "#consents-table tbody tr[id^='consent-']"); n != len(atRegistration) {
			t.Errorf("consents given at registration: %d rows, want %v", n, atRegistration)
		}

		// The same girl again: a likely duplicate, listing her card; the caseworker opens it.
		clickTo(t, ah, "#cards-nav #nav-cards", 200)
		fillCard(t, ah, e.ahSite, girl, true)
		clickTo(t, ah, "#card-register", 409)
		dupRow := fmt.Sprintf("#duplicate-list #dup-%d", girlID)
		if got := text(t, ah, "#duplicates h2"); got != zh.T("cards.dup_title") {
			t.Errorf("duplicate warning heading = %q, want %q", got, zh.T("cards.dup_title"))
		}
		if got := text(t, ah, dupRow); !strings.Contains(got, girlNumber) || !strings.Contains(got, e.ahSite.Name("zh")) {
			t.Errorf("duplicate row = %q, want the first card %s at %s", got, girlNumber, e.ahSite.Name("zh"))
		}
		if n := count(t, ah, "#duplicate-list tbody tr"); n != 1 {
			t.Errorf("the warning lists %d cards, want the one", n)
		}
		if got := value(t, ah, "#card-name"); got != girl.name {
			t.Errorf("name after the warning = %q, want the typed %q kept for 'register anyway'", got, girl.name)
		}
		if n := count(t, ah, "#register-anyway"); n != 1 {
			t.Error("the warning does not offer to register another person")
		}
		clickTo(t, ah, dupRow+" a.dup-open", 200)
		if loc := location(t, ah); loc != e.url(cardPath(girlID)) {
			t.Fatalf("opening the existing card led to %s, want %s", loc, cardPath(girlID))
		}
		e.open(t, ah, "/cards", 200)
		if n := count(t, ah, "#cards-table tbody tr[id^='card-']"); n != 1 {
			t.Errorf("after opening the existing card, the list has %d cards, want 1", n)
		}

		// ---- 2. Two services in different months; her name read for a logged reason ----
		e.open(t, ah, cardPath(girlID), 200)
		addService(t, ah, "life_skills", "2012-03-15", "合肥市妇联")
		ledger.serve(girlNumber, e.ahSite.Code)
		girlServices := 1
		addService(t, ah, "counselling", "2012-05-10", "店埠社区儿童之家")
		ledger.serve(girlNumber, e.ahSite.Code)
		girlServices++

		do(t, ah, "choose a reason", chromedp.SetValue(chromedp.ID("identify-reason"), "service"))
		clickTo(t, ah, "#identify-submit", 200)
		if got := text(t, ah, "#identity-name"); got != girl.name {
			t.Errorf("name shown = %q, want %q", got, girl.name)
		}
		if got := text(t, ah, "#identity-guardian"); got != girl.guardian {
			t.Errorf("guardian shown = %q, want %q", got, girl.guardian)
		}
		if got := text(t, ah, "#identity-note"); got != zh.T("cards.identity_once") {
			t.Errorf("identity note = %q", got)
		}
		e.open(t, ah, cardPath(girlID), 200)
		if body := text(t, ah, "main"); strings.Contains(body, girl.name) {
			t.Error("the name is still shown after reloading the card")
		}

		admin := e.tab(t)
		e.mustLogin(t, admin, "zh", adminUser)
		e.open(t, admin, "/cards/access-log?card="+girlNumber, 200)
		if n := count(t, admin, "#access-log tbody tr[id^='access-']"); n != 1 {
			t.Errorf("access log of %s has %d rows, want the one reading", girlNumber, n)
		}
		logRow := text(t, admin, "#access-log tbody tr[id^='access-']")
		for _, want := range []string{caseAHUser, girlNumber, zh.T("pfield.name"), zh.T("areason.service")} {
			if !strings.Contains(logRow, want) {
				t.Errorf("access-log row %q does not show %q", logRow, want)
			}
		}

		// ---- 3. Jiangsu cannot open the card, nor list it ----
		jsOff := e.tab(t)
		e.mustLogin(t, jsOff, "zh", jiangsuUser)
		js := e.tab(t)
		e.mustLogin(t, js, "en", caseJSUser) // the receiving caseworker works in English
		for _, c := range []struct {
			who string
			tab context.Context
			tr  web.Tr
		}{{jiangsuUser, jsOff, zh}, {caseJSUser, js, en}} {
			e.open(t, c.tab, cardPath(girlID), 404)
			if got := text(t, c.tab, "h1"); got != c.tr.T("error.not_found") {
				t.Errorf("%s opening Anhui's card: heading %q, want %q", c.who, got, c.tr.T("error.not_found"))
			}
			if body := text(t, c.tab, "main"); strings.Contains(body, girlNumber) || strings.Contains(body, e.ahSite.Name(c.tr.Lang)) {
				t.Errorf("%s's refusal page tells of the card: %q", c.who, body)
			}
			e.open(t, c.tab, "/cards", 200)
			if n := count(t, c.tab, fmt.Sprintf("#card-%d", girlID)); n != 0 {
				t.Errorf("%s's card list shows Anhui's card", c.who)
			}
			if n := count(t, c.tab, "#no-cards"); n != 1 {
				t.Errorf("%s's card list is not empty: %q", c.who, text(t, c.tab, "#cards-table tbody"))
			}
		}

		// ---- 4. A referral to Jiangsu: refused without consent, sent with the guardian's ----
		reason := "随母亲到南京务工，需要就业服务"
		e.open(t, ah, cardPath(girlID), 200)
		do(t, ah, "fill the referral form",
			chromedp.SendKeys(chromedp.ID("refer-to_unit_code"), e.jsSite.Code),
			chromedp.SetValue(chromedp.ID("refer-service_type"), "employment"),
			chromedp.SendKeys(chromedp.ID("refer-reason"), reason),
		)
		if n := count(t, ah, "#refer-override"); n != 0 {
			t.Error("a caseworker is offered to override consent")
		}
		clickTo(t, ah, "#refer-submit", 422)
		noConsent := zh.FieldError(valid.FieldError{Field: "consent", Rule: "referral_consent"})
		if got := text(t, ah, "#err-refer-consent"); got != noConsent {
			t.Errorf("referral without consent: message %q, want %q", got, noConsent)
		}
		if n := count(t, ah, "#no-card-referrals"); n != 1 {
			t.Errorf("a refused referral is listed: %q", text(t, ah, "#card-referrals tbody"))
		}
		for sel, want := range map[string]string{"#refer-to_unit_code": e.jsSite.Code, "#refer-reason": reason, "#refer-service_type": "employment"} {
			if got := value(t, ah, sel); got != want {
				t.Errorf("%s after the refusal = %q, want the typed %q", sel, got, want)
			}
		}

		// Her own consent is not enough, she is a minor; her guardian's is.
		do(t, ah, "record her own referral consent",
			chromedp.SetValue(chromedp.ID("consent-purpose"), "referral"),
			chromedp.SetValue(chromedp.ID("consent-given_by"), "self"),
		)
		clickTo(t, ah, "#consent-submit", 422)
		minorMsg := zh.FieldError(valid.FieldError{Field: "given_by", Rule: "guardian_minor", Param: strconv.Itoa(beneficiaries.Adult)})
		if got := text(t, ah, "#err-consent-given_by"); got != minorMsg {
			t.Errorf("a minor's own consent: message %q, want %q", got, minorMsg)
		}
		do(t, ah, "record the guardian's referral consent",
			chromedp.SetValue(chromedp.ID("consent-given_by"), "guardian"),
			chromedp.SendKeys(chromedp.ID("consent-giver"), girl.guardian),
		)
		clickTo(t, ah, "#consent-submit", 200)
		consents := text(t, ah, "#consents-table tbody")
		if n := count(t, ah, "#consents-table tbody tr[id^='consent-']"); n != len(atRegistration)+1 || !strings.Contains(consents, zh.T("purpose.referral")) {
			t.Errorf("consents after recording referral: %d rows %q, want those of registration and %s", n, consents, zh.T("purpose.referral"))
		}

		do(t, ah, "fill the referral form again",
			chromedp.SendKeys(chromedp.ID("refer-to_unit_code"), e.jsSite.Code),
			chromedp.SetValue(chromedp.ID("refer-service_type"), "employment"),
			chromedp.SendKeys(chromedp.ID("refer-reason"), reason),
		)
		clickTo(t, ah, "#refer-submit", 200)
		if n := count(t, ah, "#card-referrals tbody tr[id^='referral-']"); n != 1 {
			t.Fatalf("after referring, the card lists %d referrals, want 1", n)
		}
		refRowID := run(t, ah, "referral row", chromedp.Evaluate[string](`document.querySelector("#card-referrals tbody tr[id^='referral-']").id`))
		refID, err := strconv.ParseInt(strings.TrimPrefix(refRowID, "referral-"), 10, 64)
		if err != nil {
			t.Fatalf("referral row id %q", refRowID)
		}
		sent := text(t, ah, "#"+refRowID)
		for _, want := range []string{e.ahSite.Name("zh"), e.jsSite.Name("zh"), zh.T("stype.employment"), reason, zh.T("refstatus.sent")} {
			if !strings.Contains(sent, want) {
				t.Errorf("sent referral %q does not show %q", sent, want)
			}
		}

		// Jiangsu's caseworker receives it, accepts it, and opens the card: no name.
		clickTo(t, js, "nav.main #nav-beneficiaries", 200)
		clickTo(t, js, "#cards-nav #nav-referrals", 200)
		row := fmt.Sprintf("#referrals-received #referral-%d", refID)
		if n := count(t, js, row); n != 1 {
			t.Fatalf("Jiangsu's caseworker does not receive the referral: received %q", text(t, js, "#referrals-received tbody"))
		}
		if got := text(t, js, fmt.Sprintf("#referral-%d-status", refID)); got != en.T("refstatus.sent") {
			t.Errorf("received referral status = %q, want %q", got, en.T("refstatus.sent"))
		}
		received := text(t, js, row)
		for _, want := range []string{girlNumber, e.ahSite.Name("en"), e.jsSite.Name("en"), reason} {
			if !strings.Contains(received, want) {
				t.Errorf("received referral %q does not show %q", received, want)
			}
		}
		if strings.Contains(received, girl.name) {
			t.Errorf("the received referral names the girl: %q", received)
		}
		do(t, js, "accept the referral",
			chromedp.SetValue(chromedp.ID(fmt.Sprintf("respond-%d-status", refID)), "accepted"),
			chromedp.SendKeys(chromedp.ID(fmt.Sprintf("respond-%d-response", refID)), "We will see her on Monday."),
		)
		clickTo(t, js, fmt.Sprintf("#respond-%d-submit", refID), 200)
		if got := text(t, js, fmt.Sprintf("#referral-%d-status", refID)); got != en.T("refstatus.accepted") {
			t.Errorf("after accepting, status = %q, want %q", got, en.T("refstatus.accepted"))
		}
		clickTo(t, js, row+fmt.Sprintf(` a[href=%q]`, cardPath(girlID)), 200)
		if got := text(t, js, "#card-number"); got != girlNumber {
			t.Errorf("Jiangsu opens card %q, want %q", got, girlNumber)
		}
		if got := htmlLang(t, js); got != "en" {
			t.Errorf("Jiangsu caseworker's card page lang = %q, want en", got)
		}
		if body := text(t, js, "main"); strings.Contains(body, girl.name) || strings.Contains(body, girl.guardian) || strings.Contains(body, girl.phone) {
			t.Errorf("the receiving side sees personal details without asking: %q", body)
		}
		e.open(t, js, "/cards", 200)
		if n := count(t, js, fmt.Sprintf("#card-%d", girlID)); n != 1 {
			t.Error("the accepted referral's card is not in the receiving caseworker's list")
		}

		// Back in Anhui the referral shows accepted, on the card and in the sent list.
		e.open(t, ah, cardPath(girlID), 200)
		if got := text(t, ah, "#"+refRowID+" .badge"); got != zh.T("refstatus.accepted") {
			t.Errorf("Anhui sees the referral as %q, want %q", got, zh.T("refstatus.accepted"))
		}
		clickTo(t, ah, "#cards-nav #nav-referrals", 200)
		if got := text(t, ah, fmt.Sprintf("#referrals-sent #referral-%d-status", refID)); got != zh.T("refstatus.accepted") {
			t.Errorf("Anhui's sent list shows %q, want %q", got, zh.T("refstatus.accepted"))
		}

		// ---- 5. Reach counts distinct people ----
		ahOff := e.tab(t)
		e.mustLogin(t, ahOff, "zh", anhuiUser)
		province := func(want string) {
			t.Helper()
			if got, n := e.reach(t, ahOff, e.fx.anhui, "zh"), ledger.people(e.fx.anhui.Code); got != n {
				t.Errorf("%s: Anhui's reach = %d, want %d", want, got, n)
			}
			if got, n := atoi(t, "Hefei's row", text(t, ahOff, fmt.Sprintf("#reach-unit-%d td:last-child", e.fx.hefei.ID))), ledger.people(e.fx.hefei.Code); got != n {
				t.Errorf("%s: Hefei's row in Anhui's table = %d, want %d", want, got, n)
			}
		}
		province("after two services to one girl")

		// A third service in a month she was already served in: still one person.
		e.open(t, ah, cardPath(girlID), 200)
		addService(t, ah, "recreation", "2012-05-25", "店埠社区儿童之家")
		ledger.serve(girlNumber, e.ahSite.Code)
		girlServices++
		province("after a third service in an already counted month")

		// A second person, registered and served: two.
		e.open(t, ah, "/cards", 200)
		fillCard(t, ah, e.ahSite, woman, false)
		clickTo(t, ah, "#card-register", 200)
		womanID := idAfter(t, ah, "/cards/")
		womanNumber := text(t, ah, "#card-number")
		if womanID == girlID || womanNumber == girlNumber {
			t.Fatalf("the second person got the first card (%d %s)", womanID, womanNumber)
		}
		addService(t, ah, "legal_aid", "2012-04-02", "肥东县法律援助中心")
		ledger.serve(womanNumber, e.ahSite.Code)
		province("after serving a second person")

		// The national view: the sum of the provinces while no one is served in both.
		national := func(want string) {
			t.Helper()
			got := e.reach(t, admin, e.fx.national, "zh")
			if n := ledger.people(e.fx.national.Code); got != n {
				t.Errorf("%s: national reach = %d, want %d", want, got, n)
			}
			sum := 0
			for _, p := range []org.Unit{e.fx.anhui, e.fx.jiangsu} {
				row := atoi(t, p.Code+"'s row", text(t, admin, fmt.Sprintf("#reach-unit-%d td:last-child", p.ID)))
				if n := ledger.people(p.Code); row != n {
					t.Errorf("%s: %s's row in the national table = %d, want %d", want, p.Code, row, n)
				}
				sum += row
			}
			if overlap := sum - ledger.people(e.fx.national.Code); overlap == 0 && got != sum {
				t.Errorf("%s: national reach %d is not the sum %d of the provinces, though no one was served in both", want, got, sum)
			}
		}
		national("after Anhui's services")

		// Jiangsu serves the referred girl: Jiangsu counts her, the nation still counts her once.
		e.open(t, js, cardPath(girlID), 200)
		// The card's own site is not Jiangsu's; the form offers only the caseworker's own.
		sites := run(t, js, "service sites offered", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#service-site_id option')].map(o => o.value)`))
		if want := strconv.FormatInt(e.jsSite.ID, 10); len(sites) != 1 || sites[0] != want {
			t.Errorf("service sites offered to Jiangsu's caseworker = %v, want only %s (%s)", sites, want, e.jsSite.Code)
		}
		do(t, js, "choose Jiangsu's site", chromedp.SetValue(chromedp.ID("service-site_id"), strconv.FormatInt(e.jsSite.ID, 10)))
		addService(t, js, "employment", "2012-06-20", "江宁区就业服务中心")
		ledger.serve(girlNumber, e.jsSite.Code)
		girlServices++
		if got, n := e.reach(t, jsOff, e.fx.jiangsu, "zh"), ledger.people(e.fx.jiangsu.Code); got != n {
			t.Errorf("Jiangsu's reach after serving the referred girl = %d, want %d", got, n)
		}
		province("after Jiangsu served the referred girl")
		national("after Jiangsu served the referred girl")
		if sum, all := ledger.people(e.fx.anhui.Code)+ledger.people(e.fx.jiangsu.Code), ledger.people(e.fx.national.Code); sum == all {
			t.Fatalf("scenario: the provinces' %d should exceed the nation's %d distinct people", sum, all)
		}
		screenshot(t, admin, "screenshot-reach.png")

		// The card as Anhui's caseworker sees it now, for the README.
		e.open(t, ah, cardPath(girlID), 200)
		if n := count(t, ah, "#services-table tbody tr[id^='service-']"); n != girlServices {
			t.Errorf("the girl's card lists %d services, want the %d given on both sides", n, girlServices)
		}
		screenshot(t, ah, "screenshot-card.png")
	})
}
