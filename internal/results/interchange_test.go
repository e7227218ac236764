package results_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/results"
	"ting/internal/results/dhis2"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/valid"
)

func TestDHIS2Interchange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := setup(t, db)
		s, sys := x.svc, access.System
		for _, m := range []results.Mapping{
			{Kind: "indicator", TingCode: "DM", UID: "dmAbcdefgh1"},
			{Kind: "unit", TingCode: "AH-HF", UID: "hefeiUid001"},
			{Kind: "unit", TingCode: "JS-WX", UID: "wuxiUid0001"},
			{Kind: "combo", TingCode: "sex:female", UID: "femaleUid01"},
		} {
			if err := s.SetMapping(ctx, sys, m); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetMapping(ctx, sys, results.Mapping{Kind: "unit", TingCode: "CN", UID: "short"}); err == nil {
			t.Fatal("malformed uid accepted")
		}
		if err := s.SetMapping(ctx, x.anhui, results.Mapping{Kind: "unit", TingCode: "JS-WX", UID: "wuxiUid0002"}); err == nil {
			t.Fatal("Anhui mapped a Jiangsu unit")
		}
		if err := s.SetMapping(ctx, x.anhui, results.Mapping{Kind: "indicator", TingCode: "DM", UID: "dmAbcdefgh2"}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("a province mapped a national indicator: %v", err)
		}
		if err := s.SetMapping(ctx, x.anhui, results.Mapping{Kind: "unit", TingCode: "AH-HF", UID: "hefeiUid002"}); err != nil {
			t.Fatalf("Anhui maps its own unit: %v", err)
		}
		if err := s.SetMapping(ctx, sys, results.Mapping{Kind: "unit", TingCode: "AH-HF", UID: "hefeiUid001"}); err != nil {
			t.Fatal(err)
		}
		doc := `{"dataSet":"pBOMPrpg1QX","period":"201104","dataValues":[
			{"dataElement":"dmAbcdefgh1","orgUnit":"hefeiUid001","categoryOptionCombo":"HllvX50cXC0","value":"40","storedBy":"hefei-wf"},
			{"dataElement":"dmAbcdefgh1","orgUnit":"hefeiUid001","categoryOptionCombo":"femaleUid01","value":"25"},
			{"dataElement":"dmAbcdefgh1","orgUnit":"wuxiUid0001","period":"2011Q2","value":"70"}]}`
		set, err := dhis2.ReadJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		// Anhui may import its own units only: all-or-nothing refuses the whole document.
		sum, err := s.ImportDHIS2(ctx, x.anhui, set.DataValues, results.ImportOptions{})
		if err != nil || sum.Status != dhis2.StatusError || sum.ImportCount.Ignored != 3 || len(sum.Conflicts) != 1 || sum.Conflicts[0].Object != "wuxiUid0001" {
			t.Fatalf("scoped import: %+v %v", sum, err)
		}
		// A dry run counts without writing.
		sum, err = s.ImportDHIS2(ctx, sys, set.DataValues, results.ImportOptions{DryRun: true})
		if err != nil || sum.Status != dhis2.StatusSuccess || sum.ImportCount.Imported != 3 {
			t.Fatalf("dry run: %+v %v", sum, err)
		}
		var n int
		db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM data_values").Scan(&n)
		if n != 0 {
			t.Fatalf("dry run wrote %d values", n)
		}
		sum, err = s.ImportDHIS2(ctx, sys, set.DataValues, results.ImportOptions{})
		if err != nil || sum.ImportCount.Imported != 3 || sum.ImportCount.Updated != 0 {
			t.Fatalf("import: %+v %v", sum, err)
		}
		lop := results.LOP
		if got := must(s.Actual(ctx, sys, x.decision, x.cn, lop))(t); got.Value != 110 {
			t.Fatalf("actual after import %+v", got)
		}
		// Again: the same values update; one bad value, partial import keeps the good ones.
		bad := append(append([]dhis2.DataValue{}, set.DataValues...), dhis2.DataValue{DataElement: "dmAbcdefgh1", OrgUnit: "hefeiUid001", Period: "201105", Value: "2.5"},
			dhis2.DataValue{DataElement: "nopeNopeNop", OrgUnit: "hefeiUid001", Period: "201105", Value: "1"},
			dhis2.DataValue{DataElement: "dmAbcdefgh1", OrgUnit: "hefeiUid001", Period: "2011W10", Value: "1"})
		sum, err = s.ImportDHIS2(ctx, sys, bad, results.ImportOptions{Partial: true})
		if err != nil || sum.Status != dhis2.StatusWarning || sum.ImportCount.Updated != 3 || sum.ImportCount.Ignored != 3 || len(sum.Conflicts) != 3 {
			t.Fatalf("partial: %+v %v", sum, err)
		}
		props := []string{sum.Conflicts[0].Property, sum.Conflicts[1].Property, sum.Conflicts[2].Property}
		if strings.Join(props, ",") != "dataElement,period,value" {
			t.Fatalf("conflicts %+v", sum.Conflicts)
		}

		// Export by uid and by code; the uid export re-imports to the same values.
		out := must(s.ExportDHIS2(ctx, sys, "NLF", x.cn, lop, "uid"))(t)
		if len(out) != 3 || out[0].OrgUnit != "hefeiUid001" || out[0].Period != "201104" || out[0].CategoryOptionCombo != "HllvX50cXC0" {
			t.Fatalf("export %+v", out)
		}
		var buf bytes.Buffer
		if err := dhis2.WriteJSON(&buf, dhis2.DataValueSet{DataValues: out}); err != nil {
			t.Fatal(err)
		}
		again, err := dhis2.ReadJSON(&buf)
		if err != nil {
			t.Fatal(err)
		}
		sum, err = s.ImportDHIS2(ctx, sys, again.DataValues, results.ImportOptions{})
		if err != nil || sum.ImportCount.Updated != 3 || sum.ImportCount.Imported != 0 {
			t.Fatalf("re-import %+v %v", sum, err)
		}
		byCode := must(s.ExportDHIS2(ctx, sys, "NLF", x.cn, lop, "code"))(t)
		b, _ := json.Marshal(byCode[1])
		if !strings.Contains(string(b), `"categoryOptionCombo":"sex:female"`) || byCode[1].OrgUnit != "AH-HF" {
			t.Fatalf("code export %s", b)
		}
		// An unmapped unit makes a uid export fail, naming it.
		must(s.SaveValues(ctx, sys, []results.ValueInput{{Indicator: "DM", UnitID: x.js.ID, Period: "2012-01", Value: f(1)}}))(t)
		_, err = s.ExportDHIS2(ctx, sys, "NLF", x.cn, lop, "uid")
		if es, ok := valid.As(err); !ok || es[0].Rule != "dhis2_unmapped" || !strings.Contains(es[0].Param, "unit JS") {
			t.Fatalf("unmapped: %v", err)
		}
	})
}
