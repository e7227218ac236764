package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/seal"
	"ting/internal/store"
)

func TestImportServicesCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := "--data=" + dir
	for _, argv := range [][]string{
		{"unit", "create", data, "--code=CN", "--level=national", "--name-zh=全国", "--name-en=National", "--effective=2010-01-01"},
		{"unit", "create", data, "--code=AH", "--level=provincial", "--parent=CN", "--name-zh=安徽省", "--name-en=Anhui", "--effective=2010-01-01"},
		{"unit", "create", data, "--code=AH-HF", "--level=municipal", "--parent=AH", "--name-zh=合肥市", "--name-en=Hefei", "--effective=2010-01-01"},
	} {
		if err := run(ctx, argv); err != nil {
			t.Fatal(err)
		}
	}
	// Two cards at Hefei, registered through the domain as the server would.
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.NewKeyring(map[byte][]byte{1: bytes.Repeat([]byte{7}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	hf, err := org.New(db).UnitByCode(ctx, access.System, "AH-HF")
	if err != nil {
		t.Fatal(err)
	}
	var cards []string
	for _, name := range []string{"甲", "乙"} {
		c, err := beneficiaries.New(db, keys).Register(ctx, access.System, beneficiaries.CardInput{SiteID: hf.ID, Sex: "F", Birth: "1990-01-01", Status: "working",
			Name: name, NotDuplicate: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		cards = append(cards, c.Number)
	}
	services := func() int {
		t.Helper()
		var n int
		if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM services").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	defer db.Close()

	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("register.csv", "\ufeff卡号,服务点代码,服务类型,服务日期,备注\n"+
		cards[0]+",AH-HF,法律援助,2012-03-05,\n"+
		cards[1]+",AH-HF,Life skills,2012/4/1,小组\n")
	bad := write("bad.csv", "card,site_code,type,date\n"+
		cards[0]+",AH-HF,health,2012-03-05\n"+
		cards[1]+",AH-NOPE,haircut,2012-03-05\n")

	// Usage mistakes are usage errors; a missing file is an error of its own.
	for _, argv := range [][]string{
		{"import"},
		{"import", "units", good},
		{"import", "services", data},
		{"import", "services", good, good, data},
		{"import", "services", good, "--lang=fr", data},
		{"import", "services", good, "--no-such-flag"},
	} {
		if err := run(ctx, argv); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", argv, err)
		}
	}
	if err := run(ctx, []string{"import", "services", filepath.Join(dir, "nowhere.csv"), data}); err == nil || errors.Is(err, errUsage) {
		t.Errorf("missing file: %v", err)
	}

	// A bad file: one line per failure, in the chosen language, and nothing written.
	for _, c := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"Row 3\tsite_code\tSite code: no such record in your area.", "Row 3\ttype\tService type must be one of: "}},
		{"zh", []string{"第 3 行\tsite_code\t服务点代码：在您负责的范围内不存在。", "第 3 行\ttype\t服务类型须为以下之一："}},
	} {
		var out bytes.Buffer
		err := importTo(ctx, []string{"services", bad, data, "--lang=" + c.lang}, &out)
		if err == nil || !strings.Contains(err.Error(), "2 problem(s)") {
			t.Fatalf("%s: bad file: %v", c.lang, err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 2 {
			t.Fatalf("%s: report\n%s", c.lang, out.String())
		}
		for i, want := range c.want {
			if !strings.HasPrefix(lines[i], want) {
				t.Errorf("%s: line %d %q, want it to start %q", c.lang, i+1, lines[i], want)
			}
		}
	}
	if n := services(); n != 0 {
		t.Fatalf("a failed import wrote %d services", n)
	}

	// A dry run counts and writes nothing; flags may come before the file.
	var out bytes.Buffer
	if err := importTo(ctx, []string{"services", "--dry-run", "--lang=en", good, data}, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "Check finished, nothing saved: 2 services would be imported.\n" || services() != 0 {
		t.Fatalf("dry run printed %q, %d services", got, services())
	}
	out.Reset()
	if err := importTo(ctx, []string{"services", good, data, "--lang=en"}, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "2 services imported.\n" || services() != 2 {
		t.Fatalf("import printed %q, %d services", got, services())
	}
	// The same file again records nothing and says why.
	out.Reset()
	if err := importTo(ctx, []string{"services", good, data, "--lang=zh"}, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "已导入 0 条服务记录。\n2 行与已有服务记录重复，未再次导入。\n" || services() != 2 {
		t.Fatalf("again printed %q, %d services", got, services())
	}
	// Through run, as the binary does; the default language is Chinese.
	if err := run(ctx, []string{"import", "services", good, data}); err != nil || services() != 2 {
		t.Fatalf("run: %v, %d services", err, services())
	}
	if err := run(ctx, []string{"analytics", "verify", data}); err != nil {
		t.Fatalf("reach after the import: %v", err)
	}
}
