package beneficiaries

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/org"
	"ting/internal/sheet"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

// imWorld is newWorld with cards and partners to import services for: two Anhui cards at the
// caseworker's county (a born 1997, b born 2000-05-01), one Jiangsu card, and a partner on
// each side.
type imWorld struct {
	*world
	a, b, js Card
}

func newImWorld(t *testing.T, db *store.DB) imWorld {
	t.Helper()
	ctx := context.Background()
	w := imWorld{world: newWorld(t, db)}
	var err error
	if w.a, err = w.svc.Register(ctx, w.caseAH, person(w.fd1.ID, "王小梅", "1997-03-04"), nil); err != nil {
		t.Fatal(err)
	}
	if w.b, err = w.svc.Register(ctx, w.caseAH, person(w.fd2.ID, "李四", "2000-05-01"), nil); err != nil {
		t.Fatal(err)
	}
	if w.js, err = w.svc.Register(ctx, w.caseJS, person(w.bh1.ID, "赵六", "1990-01-01"), nil); err != nil {
		t.Fatal(err)
	}
	o := org.New(db)
	for _, p := range []org.PartnerInput{
		{Code: "P-FD", UnitID: w.fd.ID, Type: "cso", NameZH: "肥东社工站", NameEN: "Feidong social work"},
		{Code: "P-BH", UnitID: w.bh1.ID, Type: "cso", NameZH: "滨湖社工站", NameEN: "Binhu social work"},
	} {
		if _, err := o.CreatePartner(ctx, access.System, p); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w imWorld) services(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.db.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM services`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (w imWorld) reach(t *testing.T) int64 {
	t.Helper()
	n, err := w.svc.Reach(context.Background(), access.System, ReachQuery{UnitID: w.cn.ID, From: "2000-01", To: "2012-12"})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// imReport renders failures as "row:field:rule" lines.
func imReport(es valid.Errors) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, fmt.Sprintf("%d:%s:%s", e.Row, e.Field, e.Rule))
	}
	return out
}

const imHead = "card,site_code,type,date,provider,partner_code,note\n"

func TestImportServicesCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newImWorld(t, db)
		if w.reach(t) != 0 {
			t.Fatal("reach before any service")
		}
		file := "\ufeff" + imHead +
			w.a.Number + ",AH-HF-FD-01,legal_aid,2012-03-05,张律师,P-FD,第一次\r\n" +
			strings.ToLower(w.a.Number) + ",AH-HF-FD-02,心理辅导,2012/4/1,,,\r\n" +
			"\r\n" +
			w.b.Number + ",AH-HF-FD-02,Peer Support,2012年6月30日,,,'=not a formula\r\n"
		res, err := w.svc.ImportServices(ctx, w.caseAH, []byte(file), ImportOptions{})
		if err != nil {
			t.Fatalf("%v %+v", err, res)
		}
		if res.Format != sheet.CSV || res.Rows != 3 || res.Created != 3 || res.DryRun || len(res.Errors) != 0 {
			t.Fatalf("result %+v", res)
		}
		got, err := w.svc.Services(ctx, w.caseAH, w.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, s := range got {
			lines = append(lines, fmt.Sprintf("%s %d %s %s %s", s.Date, s.SiteID, s.Type, s.Provider, s.Note))
		}
		want := []string{
			fmt.Sprintf("2012-04-01 %d counselling  ", w.fd2.ID),
			fmt.Sprintf("2012-03-05 %d legal_aid 张律师 第一次", w.fd1.ID),
		}
		if !slices.Equal(lines, want) {
			t.Fatalf("card a's services:\n%q\nwant\n%q", lines, want)
		}
		var partner int64
		if err := db.R.QueryRowContext(ctx, `SELECT p.id FROM services s JOIN partners p ON p.id = s.partner_id WHERE p.code = 'P-FD'`).Scan(&partner); err != nil {
			t.Fatalf("partner not linked: %v", err)
		}
		got, _ = w.svc.Services(ctx, w.caseAH, w.b.ID)
		if len(got) != 1 || got[0].Type != "peer_support" || got[0].Date != "2012-06-30" || got[0].Note != "=not a formula" {
			t.Fatalf("card b's services: %+v", got)
		}
		// The reach counts both people, once each, and the bitmaps equal a recomputation.
		if n := w.reach(t); n != 2 {
			t.Fatalf("reach %d, want 2", n)
		}
		if n, err := w.svc.Reach(ctx, access.System, ReachQuery{UnitID: w.fd.ID, From: "2012-06", To: "2012-06"}); err != nil || n != 1 {
			t.Fatalf("June reach %d %v, want 1", n, err)
		}
		if st, err := analytics.Verify(ctx, db); err != nil || st.Mismatches != 0 {
			t.Fatalf("verify: %+v %v", st, err)
		}
		var audited int
		db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'import'`).Scan(&audited)
		if audited != 1 {
			t.Fatalf("%d import audit rows, want 1", audited)
		}
	})
}

// imWorkbook builds a workbook whose first sheet holds rows; numbers stay numbers.
func imWorkbook(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// excelSerial is Excel's day number of a date.
func excelSerial(date string) int {
	d, _ := time.Parse(time.DateOnly, date)
	return int(d.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

func TestImportServicesXLSX(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newImWorld(t, db)
		if excelSerial("2012-03-05") != 40973 {
			t.Fatalf("serial of 2012-03-05 is %d", excelSerial("2012-03-05"))
		}
		data := imWorkbook(t, [][]any{
			{"卡号", "服务点代码", "服务类型", "服务日期", "服务提供者", "合作伙伴代码", "备注"},
			{w.a.Number, "AH-HF-FD-01", "法律援助", 40973, "张律师", "P-FD", "初次咨询"},
			{},
			{w.b.Number, "AH-HF-FD-02", "Life skills", "2012-05-01", "", "", ""},
		})
		res, err := w.svc.ImportServices(ctx, w.caseAH, data, ImportOptions{})
		if err != nil || res.Format != sheet.XLSX || res.Created != 2 {
			t.Fatalf("%+v %v", res, err)
		}
		got, _ := w.svc.Services(ctx, w.caseAH, w.a.ID)
		if len(got) != 1 || got[0].Date != "2012-03-05" || got[0].Type != "legal_aid" || got[0].Provider != "张律师" {
			t.Fatalf("card a: %+v", got)
		}
		if w.reach(t) != 2 {
			t.Fatalf("reach %d", w.reach(t))
		}
		// Rows are reported as the sheet numbers them, blank rows counted.
		data = imWorkbook(t, [][]any{
			{"card", "site_code", "type", "date"},
			{w.a.Number, "AH-HF-FD-01", "health", 40973},
			{},
			{w.b.Number, "AH-HF-FD-02", "health", 45000}, // 2023: after today
		})
		res, err = w.svc.ImportServices(ctx, w.caseAH, data, ImportOptions{})
		if got := imReport(res.Errors); !slices.Equal(got, []string{"4:date:not_future"}) || err == nil {
			t.Fatalf("report %v (%v)", got, err)
		}
		if n := w.services(t); n != 2 {
			t.Fatalf("%d services after a failed import, want 2", n)
		}
	})
}

func TestImportServicesRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newImWorld(t, db)
		a, b, js := w.a.Number, w.b.Number, w.js.Number
		good := a + ",AH-HF-FD-01,health,2012-03-05,,,\n"
		tests := []struct {
			name string
			file string
			want []string
		}{
			{"unknown site", imHead + good + a + ",AH-NOPE,health,2012-03-05,,,\n", []string{"3:site_code:not_found"}},
			{"site out of scope", imHead + good + a + ",JS-WX-BH-01,health,2012-03-05,,,\n", []string{"3:site_code:not_found"}},
			{"site above the caseworker's county", imHead + a + ",AH-HF,health,2012-03-05,,,\n", []string{"2:site_code:not_found"}},
			{"unknown card", imHead + good + "AH-HF-FD-01-999999,AH-HF-FD-01,health,2012-03-05,,,\n", []string{"3:card:not_found"}},
			{"card out of scope", imHead + good + js + ",AH-HF-FD-01,health,2012-03-05,,,\n", []string{"3:card:not_found"}},
			{"bad type", imHead + good + a + ",AH-HF-FD-01,haircut,2012-03-05,,,\n", []string{"3:type:one_of"}},
			{"bad date", imHead + a + ",AH-HF-FD-01,health,2012-02-30,,,\n" + a + ",AH-HF-FD-01,health,next week,,,\n", []string{"2:date:date", "3:date:date"}},
			{"future date", imHead + good + a + ",AH-HF-FD-01,health,2012-07-01,,,\n", []string{"3:date:not_future"}},
			{"date before birth", imHead + good + b + ",AH-HF-FD-02,health,2000-04-30,,,\n", []string{"3:date:before_birth"}},
			{"unknown partner", imHead + a + ",AH-HF-FD-01,health,2012-03-05,,P-NOPE,\n", []string{"2:partner_code:not_found"}},
			{"partner out of scope", imHead + a + ",AH-HF-FD-01,health,2012-03-05,,P-BH,\n", []string{"2:partner_code:not_found"}},
			{"empty cells", imHead + ",,,,,,\n" + " , ,health,2012-03-05,,,\n", []string{"3:card:required", "3:site_code:required"}},
			{"blank lines keep numbering", imHead + good + "\n,,,,,,\n" + a + ",AH-HF-FD-01,health,2013-01-01,,,\n", []string{"5:date:not_future"}},
			{"a row's failures in column order", imHead + "AH-X,AH-NOPE,haircut,2012-13-01,,,\n", []string{"2:card:not_found", "2:site_code:not_found", "2:type:one_of", "2:date:date"}},
			{"too long", imHead + a + ",AH-HF-FD-01,health,2012-03-05," + strings.Repeat("张", 201) + ",,\n", []string{"2:provider:max_len"}},
			{"missing column", "card,site_code,type\n" + a + ",AH-HF-FD-01,health\n", []string{"1:date:missing_column"}},
			{"unknown column", "card,site_code,type,date,colour\n" + a + ",AH-HF-FD-01,health,2012-03-05,red\n", []string{"1:header:unknown_column"}},
			{"value past the last heading", "card,site_code,type,date\n" + a + ",AH-HF-FD-01,health,2012-03-05,stray\n", []string{"2:file:no_column"}},
			{"empty file", "", []string{"0:file:no_rows"}},
			{"header only", imHead, []string{"0:file:no_rows"}},
			{"not a workbook", "PK\x03\x04 broken", []string{"0:file:xlsx"}},
			{"not utf-8", imHead + "\xc8\xab\xb9\xfa,AH-HF-FD-01,health,2012-03-05,,,\n", []string{"0:file:encoding"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := w.svc.ImportServices(ctx, w.caseAH, []byte(tt.file), ImportOptions{})
				if got := imReport(res.Errors); !slices.Equal(got, tt.want) {
					t.Fatalf("report %v, want %v", got, tt.want)
				}
				es, ok := valid.As(err)
				if !ok || !slices.Equal(imReport(es), tt.want) {
					t.Fatalf("error %v, want the report", err)
				}
				if res.Created != 0 {
					t.Fatalf("created %d with a report", res.Created)
				}
				if n := w.services(t); n != 0 {
					t.Fatalf("%d services written by a failed import", n)
				}
			})
		}

		// A site, partner or card outside the scope reads exactly like one that does not exist.
		say := func(file string) []valid.FieldError {
			res, _ := w.svc.ImportServices(ctx, w.caseAH, []byte(file), ImportOptions{})
			return res.Errors
		}
		for _, pair := range [][2]string{
			{imHead + a + ",JS-WX-BH-01,health,2012-03-05,,,\n", imHead + a + ",JS-WX-BH-99,health,2012-03-05,,,\n"},
			{imHead + a + ",AH-HF-FD-01,health,2012-03-05,,P-BH,\n", imHead + a + ",AH-HF-FD-01,health,2012-03-05,,P-BX,\n"},
			{imHead + js + ",AH-HF-FD-01,health,2012-03-05,,,\n", imHead + "JS-WX-BH-01-999999,AH-HF-FD-01,health,2012-03-05,,,\n"},
		} {
			out, none := say(pair[0]), say(pair[1])
			if len(out) != 1 || len(none) != 1 {
				t.Fatalf("reports %v and %v", out, none)
			}
			// The code itself is what the file said; everything else must be the same.
			out[0].Param, none[0].Param = "", ""
			if out[0] != none[0] {
				t.Errorf("out of scope %+v, unknown %+v", out[0], none[0])
			}
		}
		// The Jiangsu caseworker imports the very rows refused above.
		res, err := w.svc.ImportServices(ctx, w.caseJS, []byte(imHead+js+",JS-WX-BH-01,health,2012-03-05,,P-BH,\n"), ImportOptions{})
		if err != nil || res.Created != 1 {
			t.Fatalf("Jiangsu's own import: %+v %v", res, err)
		}
	})
}

func TestImportServicesAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newImWorld(t, db)
		var rows strings.Builder
		rows.WriteString(imHead)
		for i := range 20 {
			fmt.Fprintf(&rows, "%s,AH-HF-FD-01,health,2012-03-%02d,,,\n", w.a.Number, i+1)
		}
		bad := rows.String() + w.b.Number + ",AH-HF-FD-02,health,2012-02-30,,,\n"
		res, err := w.svc.ImportServices(ctx, w.caseAH, []byte(bad), ImportOptions{})
		if got := imReport(res.Errors); err == nil || !slices.Equal(got, []string{"22:date:date"}) || res.Rows != 21 {
			t.Fatalf("%+v %v", res, err)
		}
		if n := w.services(t); n != 0 || w.reach(t) != 0 {
			t.Fatalf("%d services and reach %d after a failed import", n, w.reach(t))
		}
		if last, _ := analytics.Pending(ctx, db.R); last != 0 {
			t.Fatalf("%d pending reach changes after a failed import", last)
		}

		// A file failing only where checkServices does not look (a partner code) is still only
		// checked, never written and rolled back: PostgreSQL's id sequence would show the rows.
		lastID := func() int64 {
			res, err := w.svc.ImportServices(ctx, w.caseAH, []byte(imHead+w.b.Number+",AH-HF-FD-02,health,2012-01-01,,,\n"), ImportOptions{})
			if err != nil || res.Created != 1 {
				t.Fatalf("%+v %v", res, err)
			}
			var id int64
			if err := db.R.QueryRowContext(ctx, `SELECT MAX(id) FROM services`).Scan(&id); err != nil {
				t.Fatal(err)
			}
			if err := w.svc.DeleteService(ctx, w.caseAH, id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		first := lastID()
		partnerOnly := strings.Replace(rows.String(), ",,,\n", ",,P-NOPE,\n", 1)
		if res, err := w.svc.ImportServices(ctx, w.caseAH, []byte(partnerOnly), ImportOptions{}); err == nil || !slices.Equal(imReport(res.Errors), []string{"2:partner_code:not_found"}) {
			t.Fatalf("%+v %v", res, err)
		}
		// (SQLite reuses the deleted row's id; PostgreSQL's sequence moves on by one.)
		if next := lastID(); next > first+1 {
			t.Fatalf("service ids %d then %d: the failed import wrote rows before rolling back", first, next)
		}

		// A dry run checks and counts, and writes nothing.
		res, err = w.svc.ImportServices(ctx, w.caseAH, []byte(rows.String()), ImportOptions{DryRun: true})
		if err != nil || !res.DryRun || res.Created != 20 || res.Rows != 20 {
			t.Fatalf("dry run: %+v %v", res, err)
		}
		if n := w.services(t); n != 0 || w.reach(t) != 0 {
			t.Fatalf("a dry run wrote %d services (reach %d)", n, w.reach(t))
		}
		var audited int
		db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&audited)

		// Large batches take the reach change sequence; still all or nothing and exact.
		w.svc.SetDeferAt(5)
		if _, err := w.svc.ImportServices(ctx, w.caseAH, []byte(bad), ImportOptions{}); err == nil {
			t.Fatal("bad file imported")
		}
		if n, _ := analytics.Pending(ctx, db.R); n != 0 || w.services(t) != 0 {
			t.Fatalf("%d pending, %d services after a failed deferred import", n, w.services(t))
		}
		res, err = w.svc.ImportServices(ctx, w.caseAH, []byte(rows.String()), ImportOptions{})
		if err != nil || res.Created != 20 {
			t.Fatalf("%+v %v", res, err)
		}
		if n, _ := analytics.Pending(ctx, db.R); n != 20 || w.reach(t) != 1 || w.services(t) != 20 {
			t.Fatalf("%d pending, reach %d, %d services; want 20, 1, 20", n, w.reach(t), w.services(t))
		}
	})
}

func TestImportServicesRepeats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newImWorld(t, db)
		// January's register: a's two identical sessions on one day are two services.
		jan := imHead +
			w.a.Number + ",AH-HF-FD-01,counselling,2012-01-10,张老师,,\n" +
			w.a.Number + ",AH-HF-FD-01,counselling,2012-01-10,张老师,,\n" +
			w.b.Number + ",AH-HF-FD-02,legal_aid,2012-01-12,,P-FD,初次\n"
		res, err := w.svc.ImportServices(ctx, w.caseAH, []byte(jan), ImportOptions{})
		if err != nil || res.Created != 3 || res.Skipped != 0 {
			t.Fatalf("first upload: %+v %v", res, err)
		}
		// The same file again, as a check and then for real: nothing new.
		for _, dry := range []bool{true, false} {
			res, err = w.svc.ImportServices(ctx, w.caseAH, []byte(jan), ImportOptions{DryRun: dry})
			if err != nil || res.Created != 0 || res.Skipped != 3 || res.Rows != 3 {
				t.Fatalf("again (dry %v): %+v %v", dry, res, err)
			}
		}
		if n := w.services(t); n != 3 {
			t.Fatalf("%d services after uploading one file twice; want 3", n)
		}

		// February's register keeps January's rows, written differently (a type by its name, a
		// date as the spreadsheet shows it, the provider with spaces, a changed note), adds a
		// third identical session and two new services, one differing from a recorded one only
		// by its partner.
		feb := imHead +
			w.a.Number + ",AH-HF-FD-01,心理辅导,2012/1/10, 张老师 ,,\n" +
			strings.ToLower(w.a.Number) + ",AH-HF-FD-01,Counselling,2012-01-10,张老师,,\n" +
			w.a.Number + ",AH-HF-FD-01,counselling,2012-01-10,张老师,,\n" +
			w.b.Number + ",AH-HF-FD-02,legal_aid,2012-01-12,,P-FD,复查后修改的备注\n" +
			w.b.Number + ",AH-HF-FD-02,legal_aid,2012-01-12,,,\n" +
			w.b.Number + ",AH-HF-FD-02,health,2012-02-03,,,\n"
		res, err = w.svc.ImportServices(ctx, w.caseAH, []byte(feb), ImportOptions{})
		if err != nil || res.Created != 3 || res.Skipped != 3 || res.Rows != 6 {
			t.Fatalf("cumulative register: %+v %v", res, err)
		}
		if n := w.services(t); n != 6 {
			t.Fatalf("%d services; want 6", n)
		}
		var note string
		if err := db.R.QueryRowContext(ctx, `SELECT note FROM services WHERE card_id = $1 AND partner_id IS NOT NULL`, w.b.ID).Scan(&note); err != nil || note != "初次" {
			t.Fatalf("the recorded note became %q (%v): a repeated row must not change it", note, err)
		}

		// A service entered on its form is recorded too; a register listing it does not add it,
		// and the same row at another site or on another day is new.
		if _, err := w.svc.AddService(ctx, w.caseAH, ServiceInput{Card: w.a.Number, SiteID: w.fd2.ID, Type: "health", Date: "2012-03-01"}); err != nil {
			t.Fatal(err)
		}
		mar := imHead +
			w.a.Number + ",AH-HF-FD-02,health,2012-03-01,,,\n" +
			w.a.Number + ",AH-HF-FD-01,health,2012-03-01,,,\n" +
			w.a.Number + ",AH-HF-FD-02,health,2012-03-02,,,\n"
		res, err = w.svc.ImportServices(ctx, w.caseAH, []byte(mar), ImportOptions{})
		if err != nil || res.Created != 2 || res.Skipped != 1 {
			t.Fatalf("after a form entry: %+v %v", res, err)
		}

		// Another caseworker's identical service for a card out of scope is not a repeat: the
		// row fails as not found, and nothing about Jiangsu's services leaks.
		if _, err := w.svc.AddService(ctx, w.caseJS, ServiceInput{Card: w.js.Number, SiteID: w.bh1.ID, Type: "health", Date: "2012-03-01"}); err != nil {
			t.Fatal(err)
		}
		res, err = w.svc.ImportServices(ctx, w.caseAH, []byte(imHead+w.js.Number+",AH-HF-FD-01,health,2012-03-01,,,\n"), ImportOptions{})
		if got := imReport(res.Errors); err == nil || !slices.Equal(got, []string{"2:card:not_found"}) || res.Skipped != 0 {
			t.Fatalf("out of scope: %+v %v", res, err)
		}

		// Repeats are audited with the import.
		var raw string
		if err := db.R.QueryRowContext(ctx, `SELECT after FROM audit_log WHERE action = 'import' ORDER BY id DESC LIMIT 1`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var summary struct{ Created, Already int }
		if err := json.Unmarshal([]byte(strings.Replace(raw, "already_recorded", "already", 1)), &summary); err != nil || summary.Created != 2 || summary.Already != 1 {
			t.Fatalf("audit summary %s (%v)", raw, err)
		}
		if got := w.reach(t); got != 3 {
			t.Fatalf("national reach %d; want 3 (a, b and Jiangsu's card)", got)
		}
	})
}

func TestImportServicesLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newImWorld(t, db)
		file := imHead + strings.Repeat(w.a.Number+",AH-HF-FD-01,health,2012-03-05,,,\n", 3)
		res, err := w.svc.ImportServices(ctx, w.caseAH, []byte(file), ImportOptions{maxRows: 2})
		if got := imReport(res.Errors); !slices.Equal(got, []string{"0:file:too_many_rows"}) || err == nil || res.Errors[0].Param != "2" {
			t.Fatalf("over the cap: %v %v", res.Errors, err)
		}
		if res, err := w.svc.ImportServices(ctx, w.caseAH, []byte(file), ImportOptions{maxRows: 3, DryRun: true}); err != nil || res.Created != 3 {
			t.Fatalf("at the cap: %+v %v", res, err)
		}
		if MaxImportRows != 1_000_000 {
			t.Fatalf("the cap is %d", MaxImportRows)
		}

		// Only those who record services import them.
		if _, err := w.svc.ImportServices(ctx, w.officerAH, []byte(file), ImportOptions{}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("officer: %v", err)
		}

		// Codes are resolved many per query: 501 distinct site codes, the last (in order) real, give
		// exactly 500 failures.
		var many strings.Builder
		many.WriteString(imHead)
		for i := range 500 {
			fmt.Fprintf(&many, "%s,AH-A%03d,health,2012-03-05,,,\n", w.a.Number, i)
		}
		many.WriteString(w.a.Number + ",AH-HF-FD-01,health,2012-03-05,,,\n")
		res, _ = w.svc.ImportServices(ctx, w.caseAH, []byte(many.String()), ImportOptions{})
		if len(res.Errors) != 500 || res.Errors[499].Row != 501 || slices.ContainsFunc(res.Errors, func(e valid.FieldError) bool { return e.Rule != "not_found" }) {
			t.Fatalf("%d failures, last %+v", len(res.Errors), res.Errors[len(res.Errors)-1])
		}
		if w.services(t) != 0 {
			t.Fatal("services written")
		}
	})
}

func TestParseServiceType(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"legal_aid", "legal_aid"},
		{" Legal Aid ", "legal_aid"},
		{"LEGAL-AID", "legal_aid"},
		{"法律援助", "legal_aid"},
		{"Employment services", "employment"},
		{"ｃｏｕｎｓｅｌｌｉｎｇ", "counselling"},
		{"心理辅导", "counselling"},
		{"haircut", ""},
		{"", ""},
		{"法律", ""},
	}
	for _, tt := range tests {
		got, ok := ParseServiceType(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("ParseServiceType(%q) = %q %v, want %q", tt.in, got, ok, tt.want)
		}
	}
	// Every type has its names, and no two types share one.
	seen := map[string]string{}
	for _, code := range ServiceTypes {
		n, ok := ServiceTypeNames[code]
		if !ok || n.ZH == "" || n.EN == "" {
			t.Errorf("%s has no names", code)
		}
		for _, k := range []string{code, typeKey(n.ZH), typeKey(n.EN)} {
			if other, dup := seen[k]; dup && other != code {
				t.Errorf("%q names both %s and %s", k, other, code)
			}
			seen[k] = code
		}
	}
	if len(ServiceTypeNames) != len(ServiceTypes) {
		t.Errorf("%d names for %d types", len(ServiceTypeNames), len(ServiceTypes))
	}
}

// FuzzImportServicesParse: the parse never panics, a failure always names a row, a column and a
// rule, and a row it passes has every cell the database step needs in a form it accepts.
func FuzzImportServicesParse(f *testing.F) {
	for _, s := range []string{
		imHead + "AH-HF-FD-01-000001,AH-HF-FD-01,legal_aid,2012-03-05,张,P,x\n",
		"\ufeff卡号,服务点代码,服务类型,服务日期\r\nA,B,心理辅导,2012/4/1\r\n\r\nC,D,Peer Support,40973\r\n",
		"card;site_code;type;date\nA;B;health;2012-13-01\n",
		imHead + ",,,,,,\n\"x\ny\",B,haircut,2099-01-01,,,\n",
		"card,site_code,type,date,colour\n",
		"card,card\n",
		"",
		"\"",
	} {
		f.Add([]byte(s))
	}
	columns := sheet.Names(serviceColumns)
	f.Fuzz(func(t *testing.T, data []byte) {
		const today = "2012-06-30"
		rows, es := parseServices(data, sheet.CSV, today, 50)
		if rows == nil && len(es) == 0 {
			t.Fatal("neither rows nor a report")
		}
		bad := map[int]bool{}
		for _, e := range es {
			if e.Rule == "" || e.Row < 0 || !slices.Contains(columns, e.Field) && e.Field != "file" && e.Field != "header" {
				t.Fatalf("bad report line %+v", e)
			}
			bad[e.Row] = true
		}
		if len(rows) > 50 {
			t.Fatalf("%d rows past the cap", len(rows))
		}
		last := 0
		for _, sr := range rows {
			if sr.num <= last {
				t.Fatalf("row %d after %d", sr.num, last)
			}
			last = sr.num
			if bad[sr.num] {
				continue
			}
			if sr.card == "" || sr.siteCode == "" || !slices.Contains(ServiceTypes, sr.typ) || sr.date > today {
				t.Fatalf("row %d passed: %+v", sr.num, sr)
			}
			if _, err := time.Parse(time.DateOnly, sr.date); err != nil {
				t.Fatalf("row %d passed with date %q", sr.num, sr.date)
			}
		}
	})
}
