package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"ting/internal/valid"
	"ting/internal/web"
)

// TestServicesImport uploads a register of services through the import page as Anhui's
// caseworker, reached from the cards pages: a file with one bad row is refused with that row's
// message in Chinese and nothing is saved; the page in English refuses it in English; the
// corrected file imports, the summary says so, and the card lists the services.
func TestServicesImport(t *testing.T) {
	withCardsBrowser(t, func(t *testing.T, e *cardsEnv) {
		zh, en := web.NewTr("zh"), web.NewTr("en")
		woman := person{sex: "F", birth: "1990-08-12", ethnicity: "回族", group: "young_woman_worker", status: "working", name: "李娟", phone: "13900000002"}
		number := fmt.Sprintf("%s-%06d", e.ahSite.Code, 1)

		tab := e.tab(t)
		e.mustLogin(t, tab, "zh", caseAHUser)
		e.open(t, tab, "/cards", 200)
		fillCard(t, tab, e.ahSite, woman, false)
		clickTo(t, tab, "#card-register", 200)
		cardID := idAfter(t, tab, "/cards/")
		if got := text(t, tab, "#card-number"); got != number {
			t.Fatalf("card number %q, want %q", got, number)
		}

		dir := t.TempDir()
		write := func(name, body string) string {
			t.Helper()
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		head := "\ufeff卡号,服务点代码,服务类型,服务日期,服务提供者\n"
		good := write("register.csv", head+number+","+e.ahSite.Code+",法律援助,2012-05-02,张律师\n"+number+","+e.ahSite.Code+",Life skills,2012/6/1,\n")
		bad := write("register-bad.csv", head+number+","+e.ahSite.Code+",法律援助,2012-05-02,张律师\n"+number+",AH-NOPE,Life skills,2012/6/1,\n")
		upload := func(path string, want int64) {
			t.Helper()
			do(t, tab, "choose "+filepath.Base(path), chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{path}))
			clickTo(t, tab, "#import-submit", want)
		}
		badRow := func(tr web.Tr) string {
			return tr.T("svcimport.row", "Row", 3) + " " + tr.T("svcimport.column_label", "Label", tr.T("field.site_code"), "Name", "site_code") + " " +
				web.ServicesImportMessage(tr, valid.FieldError{Field: "site_code", Rule: "not_found"})
		}
		rows := func() string {
			return strings.Join(strings.Fields(text(t, tab, "#import-errors tbody")), " ")
		}

		// From the cards pages to the import.
		clickTo(t, tab, "#cards-nav #nav-services-import", 200)
		if got := text(t, tab, "h1"); got != zh.T("svcimport.title") {
			t.Fatalf("import page heading %q", got)
		}
		if got := text(t, tab, "#column-site_code"); !strings.Contains(got, zh.T("svcimport.required")) {
			t.Errorf("site_code row %q is not marked required", got)
		}

		// A bad row, in Chinese: that row's message, nothing saved.
		upload(bad, 422)
		if got, want := rows(), strings.Join(strings.Fields(badRow(zh)), " "); got != want {
			t.Errorf("report %q, want %q", got, want)
		}
		if got := text(t, tab, "#import-report h2"); got != zh.T("svcimport.report") {
			t.Errorf("report heading %q", got)
		}

		// The same in English.
		e.open(t, tab, "/services/import?lang=en", 200)
		upload(bad, 422)
		if got, want := rows(), strings.Join(strings.Fields(badRow(en)), " "); got != want {
			t.Errorf("English report %q, want %q", got, want)
		}
		e.open(t, tab, fmt.Sprintf("/cards/%d", cardID), 200)
		if n := count(t, tab, "#services-table tbody tr[id^='service-']"); n != 0 {
			t.Fatalf("refused uploads left %d services on the card", n)
		}

		// The corrected file.
		e.open(t, tab, "/services/import", 200)
		upload(good, 200)
		if got, want := text(t, tab, "#import-summary"), en.T("svcimport.done", "N", 2); got != want {
			t.Errorf("summary %q, want %q", got, want)
		}
		if n := count(t, tab, "#import-errors"); n != 0 {
			t.Error("a report beside the summary")
		}
		e.open(t, tab, fmt.Sprintf("/cards/%d", cardID), 200)
		if n := count(t, tab, "#services-table tbody tr[id^='service-']"); n != 2 {
			t.Fatalf("the card lists %d services, want 2", n)
		}
		if got := text(t, tab, "#services-table tbody"); !strings.Contains(got, "2012-05-02") || !strings.Contains(got, "2012-06-01") {
			t.Errorf("services %q", got)
		}

		// The same register uploaded again adds nothing, and the page says why.
		e.open(t, tab, "/services/import", 200)
		upload(good, 200)
		if got, want := text(t, tab, "#import-already"), en.T("svcimport.already", "N", 2); got != want {
			t.Errorf("second upload %q, want %q", got, want)
		}
		e.open(t, tab, fmt.Sprintf("/cards/%d", cardID), 200)
		if n := count(t, tab, "#services-table tbody tr[id^='service-']"); n != 2 {
			t.Fatalf("after the second upload the card lists %d services, want 2", n)
		}
	})
}
