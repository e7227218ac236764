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
		if s, _, err := auth.NewSubmissions(db).Claim(context.Background(), key, uid); err != nil || s != auth.First {
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
