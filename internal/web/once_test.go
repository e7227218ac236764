package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"ting/internal/auth"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// onceAction is the address the form with id sends to, submit key included, as the page
// renders it.
func onceAction(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<form[^>]*action="([^"]*)"[^>]*id="` + id + `"|<form[^>]*id="` + id + `"[^>]*action="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form %s on the page\n%s", id, fxSnippet(body))
	}
	action := html.UnescapeString(m[1] + m[2])
	if !strings.Contains(action, "_once=") {
		t.Fatalf("form %s sends to %q, without a submit key", id, action)
	}
	return action
}

func onceServices(t *testing.T, db *store.DB, card int64) int {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM services WHERE card_id = $1", card).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFormSentTwiceIsDoneOnce sends a card's service form twice, as a user does whose
// connection dropped before the answer came: one service is recorded, and the second sending
// leads where the first did and says so. A form that came back with its errors leaves its key
// free for the corrected sending; another user's sending of a key is not led anywhere; and a
// sending whose first is still running waits, then says it is being saved.
func TestFormSentTwiceIsDoneOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		card := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "李梅", x.bnYearsAgo(15)))
		page := x.ahCase.get(t, fmt.Sprintf("/cards/%d?lang=en", card))
		action := onceAction(t, page.Body, "service-form")
		if other := onceAction(t, page.Body, "consent-form"); other == action {
			t.Fatalf("two forms of one page share the key %q", action)
		}
		service := url.Values{"type": {"health"}, "date": {x.today}, "site_id": {itoa(x.village.ID)}}
		before := onceServices(t, db, card)

		// A bad date comes back with its error and records nothing; corrected, the same
		// rendering's key goes through.
		bad := url.Values{"type": {"health"}, "date": {"2099-13-01"}, "site_id": {itoa(x.village.ID)}}
		if r := x.ahCase.postForm(t, action, bad); r.Status != http.StatusUnprocessableEntity || onceServices(t, db, card) != before {
			t.Fatalf("a bad date: status %d, %d services", r.Status, onceServices(t, db, card))
		}
		first := x.ahCase.postForm(t, action, service)
		if first.Status != http.StatusSeeOther || onceServices(t, db, card) != before+1 {
			t.Fatalf("first sending: status %d, %d services, want %d", first.Status, onceServices(t, db, card), before+1)
		}
		again := x.ahCase.postForm(t, action, service)
		if again.Status != http.StatusSeeOther || again.location() != first.location() || onceServices(t, db, card) != before+1 {
			t.Fatalf("second sending: status %d to %q (first led to %q), %d services, want %d", again.Status, again.location(), first.location(),
				onceServices(t, db, card), before+1)
		}
		sep := "?"
		if strings.Contains(again.location(), "?") {
			sep = "&"
		}
		if r := x.ahCase.get(t, again.location()+sep+"lang=en"); r.Status != http.StatusOK || !strings.Contains(r.Body, "This form had already been sent") {
			t.Errorf("the page after the repeat does not say the form was saved once\n%s", fxSnippet(r.Body))
		}
		// A fresh rendering is a fresh service.
		page = x.ahCase.get(t, fmt.Sprintf("/cards/%d", card))
		if r := x.ahCase.postForm(t, onceAction(t, page.Body, "service-form"), service); r.Status != http.StatusSeeOther || onceServices(t, db, card) != before+2 {
			t.Fatalf("a second service from a new rendering: status %d, %d services", r.Status, onceServices(t, db, card))
		}

		// Another user sending that key is not led to the first user's page: the request is
		// answered as its own (here: the card is outside Jiangsu's caseworker's area).
		if r := x.jsCase.postForm(t, action, service); r.Status != http.StatusNotFound || onceServices(t, db, card) != before+2 {
			t.Errorf("another user's sending of the key: status %d, %d services", r.Status, onceServices(t, db, card))
		}

		// A sending whose first is still running waits for it, then says it is being saved.
		was := onceWait
		onceWait = 300 * time.Millisecond
		defer func() { onceWait = was }()
		key := auth.NewSubmitKey()
		var uid int64
		if err := db.R.QueryRowContext(context.Background(), "SELECT id FROM users WHERE username = 'bn_ah_case'").Scan(&uid); err != nil {
			t.Fatal(err)
		}
		stored := key + ":" + bodyHash("application/x-www-form-urlencoded", []byte(service.Encode()))
		if s, _, err := auth.NewSubmissions(db).Claim(context.Background(), stored, uid, fmt.Sprintf("/cards/%d/services", card), ""); err != nil || s != auth.First {
			t.Fatalf("claim: %v %v", s, err)
		}
		r := x.ahCase.postForm(t, fmt.Sprintf("/cards/%d/services?lang=en&_once=%s", card, key), service)
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "still being saved") || onceServices(t, db, card) != before+2 {
			t.Errorf("a sending while its first runs: status %d, %d services\n%s", r.Status, onceServices(t, db, card), fxSnippet(r.Body))
		}
	})
}

// TestFormAfterSessionEnded sends a form without a session (it ended while the user typed):
// signing in leads back to the page the form was on, not to the form's address (which serves
// no page), and the user is told the form was not saved.
func TestFormAfterSessionEnded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		card := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "李梅", x.bnYearsAgo(15)))
		c := x.app.fxBrowser(t)
		cardPage := fmt.Sprintf("/cards/%d", card)
		r := c.postForm(t, cardPage+"/services", url.Values{"type": {"health"}, "date": {x.today}, "site_id": {itoa(x.village.ID)}},
			"Referer", c.app.ts.URL+cardPage, "Accept-Language", "en")
		if r.Status != http.StatusSeeOther || r.location() != "/login?next="+url.QueryEscape(cardPage) {
			t.Fatalf("a form without a session: status %d to %q, want the login leading to %s", r.Status, r.location(), cardPage)
		}
		if login := c.get(t, r.location(), "Accept-Language", "en"); !strings.Contains(login.Body, "was not saved") {
			t.Errorf("the login page does not say the form was not saved\n%s", fxSnippet(login.Body))
		}
		if n := onceServices(t, db, card); n != 0 {
			t.Errorf("%d services recorded without a session", n)
		}
	})
}

// TestStaticFilesCached checks the stylesheet's address carries its content's hash and is kept
// a year, answers a revalidation with 304, and costs no session (no cookie).
func TestStaticFilesCached(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		app := fxServer(t, db)
		n := fxNetwork(t, db)
		fxUser(t, db, "st_officer", "provincial_officer", n.Anhui.ID)
		c := app.fxLogin(t, "st_officer", fxPassword)
		page := c.get(t, "/units")
		m := regexp.MustCompile(`href="(/static/ting\.css\?v=[0-9a-f]{16})"`).FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatalf("the page names the stylesheet without its hash\n%s", fxSnippet(page.Body))
		}
		css := c.get(t, m[1])
		if css.Status != http.StatusOK || css.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || css.Header.Get("Set-Cookie") != "" ||
			!strings.Contains(css.Body, "@media print") {
			t.Errorf("the hashed stylesheet: status %d, Cache-Control %q, Set-Cookie %q", css.Status, css.Header.Get("Cache-Control"), css.Header.Get("Set-Cookie"))
		}
		etag := css.Header.Get("ETag")
		if again := c.get(t, "/static/ting.css", "If-None-Match", etag); etag == "" || again.Status != http.StatusNotModified ||
			again.Header.Get("Cache-Control") != "public, max-age=3600" {
			t.Errorf("revalidation without the hash (ETag %q): status %d, Cache-Control %q", etag, again.Status, again.Header.Get("Cache-Control"))
		}
		if !strings.Contains(page.Body, `<link rel="icon" href="data:,">`) {
			t.Error("the page lets the browser ask for /favicon.ico")
		}
	})
}

// TestAPIIdempotencyKey sends an API POST twice with one Idempotency-Key: one service is
// recorded and the second answer is the first, marked as given again. A request that failed
// leaves the key free; a key sent to another address, or malformed, is refused with the rule.
func TestAPIIdempotencyKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := bnSetup(t, db)
		card := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "李梅", x.bnYearsAgo(15)))
		// The national administrator's client records services (a caseworker holds no token).
		api := x.app.fxBearer(t, fxToken(t, db, fxUser(t, db, "bn_admin_api", "national_admin", x.net.National.ID)))
		path := fmt.Sprintf("/api/v1/cards/%d/services", card)
		service := map[string]any{"type": "health", "date": x.today, "site_id": x.village.ID}
		key := "sync-2012-06-30-0001"
		before := onceServices(t, db, card)

		bad := api.sendJSON(t, http.MethodPost, path, map[string]any{"type": "health", "date": "2099-13-01", "site_id": x.village.ID}, "Idempotency-Key", key)
		if bad.Status != http.StatusUnprocessableEntity || onceServices(t, db, card) != before {
			t.Fatalf("a bad date: status %d, %d services", bad.Status, onceServices(t, db, card))
		}
		first := api.sendJSON(t, http.MethodPost, path, service, "Idempotency-Key", key)
		again := api.sendJSON(t, http.MethodPost, path, service, "Idempotency-Key", key)
		if first.Status != http.StatusCreated || again.Status != first.Status || again.Body != first.Body || again.Header.Get("Idempotent-Replayed") != "true" ||
			first.Header.Get("Idempotent-Replayed") != "" || onceServices(t, db, card) != before+1 {
			t.Fatalf("sent twice: %d %q then %d %q (replayed %q), %d services, want %d", first.Status, first.Body, again.Status, again.Body,
				again.Header.Get("Idempotent-Replayed"), onceServices(t, db, card), before+1)
		}
		// Without a key, a POST is done each time, as before.
		if r := api.sendJSON(t, http.MethodPost, path, service); r.Status != http.StatusCreated || onceServices(t, db, card) != before+2 {
			t.Errorf("without a key: status %d, %d services", r.Status, onceServices(t, db, card))
		}
		// The key sent to another address, and a malformed key, are refused and do nothing.
		other := fmt.Sprintf("/api/v1/cards/%d/consents", card)
		if r := api.sendJSON(t, http.MethodPost, other, map[string]any{}, "Idempotency-Key", key, "Accept-Language", "en"); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, `"idempotency_reused"`) || !strings.Contains(r.Body, "used for another request") {
			t.Errorf("the key on another request: status %d %s", r.Status, r.Body)
		}
		if r := api.sendJSON(t, http.MethodPost, path, service, "Idempotency-Key", "two words"); r.Status != http.StatusBadRequest ||
			!strings.Contains(r.Body, `"idempotency_key"`) || onceServices(t, db, card) != before+2 {
			t.Errorf("a malformed key: status %d %s, %d services", r.Status, r.Body, onceServices(t, db, card))
		}
		// Another user's same key is theirs alone: Anhui's officer is answered as itself.
		if r := x.ahAPI.sendJSON(t, http.MethodPost, path, service, "Idempotency-Key", key); r.Status != http.StatusForbidden || r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("another user's sending of the key: status %d (replayed %q)", r.Status, r.Header.Get("Idempotent-Replayed"))
		}
	})
}

// TestOnceEdges: a different entry sent from a spent rendering (the back button) is recorded;
// a page with forms is not kept by the browser; a button's own action carries a key; an API key
// reused with another body is refused; a session's API request honours the key too; and an
// answer showing personal data is never kept: sent again, the identity is opened (and logged)
// again rather than given from a stored copy.
func TestOnceEdges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := bnSetup(t, db)
		card := x.bnRegister(t, x.ahCase, x.bnPerson(x.village.ID, "李梅", x.bnYearsAgo(15)))
		page := x.ahCase.get(t, fmt.Sprintf("/cards/%d", card))
		if cc := page.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("a page with forms: Cache-Control %q, want no-store", cc)
		}
		action := onceAction(t, page.Body, "service-form")
		before := onceServices(t, db, card)
		for _, typ := range []string{"health", "legal_aid", "health"} {
			x.ahCase.postForm(t, action, url.Values{"type": {typ}, "date": {x.today}, "site_id": {itoa(x.village.ID)}})
		}
		if n := onceServices(t, db, card); n != before+2 {
			t.Errorf("health, legal aid, health again from one rendering: %d services, want %d", n, before+2)
		}

		// A submit button with its own action (the report's "submit") carries a key too.
		html, _ := onceForms([]byte(`<form method="post" action="/plans/reports/1/draft"><button formaction="/plans/reports/1/submit?x=1">s</button></form>`))
		if !regexp.MustCompile(`formaction="/plans/reports/1/submit\?x=1&amp;_once=[0-9a-f]{32}"`).Match(html) {
			t.Errorf("a button's own action has no key: %s", html)
		}

		// The API, through the session: the key is honoured; another body under it is refused.
		path := fmt.Sprintf("/api/v1/cards/%d/consents", card)
		consent := map[string]any{"purpose": "referral", "given_by": "guardian", "giver": "母亲", "given_on": x.today}
		first := x.ahCase.sendJSON(t, http.MethodPost, path, consent, "Idempotency-Key", "c-1")
		again := x.ahCase.sendJSON(t, http.MethodPost, path, consent, "Idempotency-Key", "c-1")
		if first.Status != http.StatusCreated || again.Body != first.Body || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("a session's API POST sent twice: %d then %d (replayed %q)", first.Status, again.Status, again.Header.Get("Idempotent-Replayed"))
		}
		consent["purpose"] = "reporting"
		if r := x.ahCase.sendJSON(t, http.MethodPost, path, consent, "Idempotency-Key", "c-1"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "idempotency_reused") {
			t.Errorf("the key with another body: status %d %s", r.Status, r.Body)
		}

		// Opening the identity: never kept, so done (and logged) each time.
		logged := func() (n int) {
			if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM card_access_log WHERE card_id = $1`, card).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		was := logged()
		ident := fmt.Sprintf("/api/v1/cards/%d/identify", card)
		for range 2 {
			r := x.ahCase.sendJSON(t, http.MethodPost, ident, map[string]string{"reason": "service"}, "Idempotency-Key", "id-1")
			if r.Status != http.StatusOK || r.Header.Get("Idempotent-Replayed") != "" || !strings.Contains(r.Body, "李梅") {
				t.Errorf("identify with a key: status %d, replayed %q", r.Status, r.Header.Get("Idempotent-Replayed"))
			}
		}
		var kept int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM form_submissions WHERE body IS NOT NULL AND path = $1`, ident).Scan(&kept); err != nil || kept != 0 {
			t.Errorf("%d identity answers kept (%v)", kept, err)
		}
		if n := logged(); n != was+2 {
			t.Errorf("two openings logged %d times", n-was)
		}
	})
}
