package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/results"
	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestLocksAndDelete: a provincial officer locks a month from the entry form; the form then
// says so and refuses values; the lock shows in the list and the API; once released, a value
// is deleted from the values page and the progress table loses it. Another province can
// neither lock nor delete here.
func TestLocksAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := resSetup(t, db)
		svc := results.New(db)
		ah := x.app.fxLogin(t, x.ahUsr, fxPassword)
		ahAPI := x.app.fxBearer(t, fxToken(t, db, resUser(t, db, x.ahUsr)))
		if _, err := svc.SaveValues(ctx, access.System, []results.ValueInput{
			{Indicator: "DM", UnitID: x.net.AnhuiCity.ID, Period: "2011-03", Value: fxF(12)},
			{Indicator: "DM", UnitID: x.net.JiangsuCity.ID, Period: "2011-03", Value: fxF(30)}}); err != nil {
			t.Fatal(err)
		}
		entry := "/results/entry?" + url.Values{"framework": {"FXLF"}, "unit": {itoa(x.net.AnhuiCity.ID)}, "period": {"2011-03"}}.Encode()
		r := ah.postForm(t, "/results/locks", url.Values{"unit_id": {itoa(x.net.Anhui.ID)}, "period": {"2011Q1"}, "framework": {"FXLF"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("lock: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		r = ah.get(t, entry+"&lang=en")
		if !strings.Contains(r.Body, `id="period-locked"`) || !strings.Contains(r.Body, `id="entry-save" disabled`) || !strings.Contains(r.Body, `id="unlock-period"`) {
			t.Fatalf("entry form in a locked quarter:\n%s", fxSnippet(r.Body))
		}
		r = ah.postForm(t, "/results/entry?lang=en", url.Values{"framework": {"FXLF"}, "unit_id": {itoa(x.net.AnhuiCity.ID)}, "period": {"2011-03"}, "v" + itoa(x.dm.ID): {"5"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "is locked for this unit") {
			t.Fatalf("entry in a locked quarter: status %d\n%s", r.Status, fxSnippet(r.Body))
		}
		var locks struct{ Items []results.Lock }
		ahAPI.get(t, "/api/v1/locks").json(t, &locks)
		if len(locks.Items) != 1 || locks.Items[0].Period != "2011Q1" {
			t.Fatalf("locks by API: %+v", locks)
		}
		if r := ah.get(t, "/results/locks?lang=zh"); !strings.Contains(r.Body, `id="lock-`+itoa(x.net.Anhui.ID)+`-2011Q1"`) || !strings.Contains(r.Body, "解锁") {
			t.Fatalf("locks page:\n%s", fxSnippet(r.Body))
		}
		// Anhui cannot lock Jiangsu; the message names the field.
		if r := ahAPI.sendJSON(t, http.MethodPost, "/api/v1/locks?lang=en", map[string]any{"unit_id": x.net.Jiangsu.ID, "period": "2011Q1"}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"field":"unit_id"`) {
			t.Fatalf("lock Jiangsu from Anhui: status %d %s", r.Status, r.Body)
		}
		var id, jsID int64
		db.R.QueryRowContext(ctx, "SELECT id FROM data_values WHERE unit_id = $1", x.net.AnhuiCity.ID).Scan(&id)
		db.R.QueryRowContext(ctx, "SELECT id FROM data_values WHERE unit_id = $1", x.net.JiangsuCity.ID).Scan(&jsID)
		if r := ahAPI.sendJSON(t, http.MethodDelete, "/api/v1/values/"+itoa(id), nil); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "period_locked") {
			t.Fatalf("delete in a locked period: status %d %s", r.Status, r.Body)
		}
		if r := ahAPI.sendJSON(t, http.MethodPost, "/api/v1/locks/release", map[string]any{"unit_id": x.net.Anhui.ID, "period": "2011Q1"}); r.Status != http.StatusOK {
			t.Fatalf("release: status %d %s", r.Status, r.Body)
		}
		if r := ahAPI.sendJSON(t, http.MethodDelete, "/api/v1/values/"+itoa(jsID), nil); r.Status != http.StatusNotFound {
			t.Fatalf("Anhui deleting Jiangsu's value: status %d %s", r.Status, r.Body)
		}
		back := "/results/values?" + url.Values{"indicator": {itoa(x.dm.ID)}, "unit": {itoa(x.net.National.ID)}, "period": {"LOP"}}.Encode()
		if r := x.nat.get(t, back); !strings.Contains(r.Body, `id="delete-value-`+itoa(id)+`"`) {
			t.Fatalf("values page has no delete button:\n%s", fxSnippet(r.Body))
		}
		if r := x.nat.postForm(t, "/results/values/"+itoa(id)+"/delete", url.Values{"back": {back}}); r.Status != http.StatusSeeOther || r.location() != back {
			t.Fatalf("delete: status %d to %q\n%s", r.Status, r.location(), fxSnippet(r.Body))
		}
		fig, err := svc.Actual(ctx, access.System, x.dm, x.net.National, results.LOP)
		if err != nil || fig.Value != 30 {
			t.Fatalf("national after the delete: %+v %v", fig, err)
		}
	})
}

func fxF(v float64) *float64 { return &v }
