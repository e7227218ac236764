package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/beneficiaries"
	"ting/internal/config"
	"ting/internal/org"
	"ting/internal/store"
)

// The key file is created on first use, a new key version is added, everything is re-sealed
// under it and still opens once the old key is gone; retention anonymises inactive cards.
func TestKeysAndRetention(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := "--data=" + dir
	t.Setenv("TING_KEYS", "")
	if err := run(ctx, []string{"migrate", data, "up"}); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Data: dir}
	if _, err := keyring(cfg, false); err == nil {
		t.Fatal("a missing key file was not an error")
	}
	k1, err := keyring(cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "keys")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	o := org.New(db)
	cn, err := o.CreateUnit(ctx, access.System, org.UnitInput{Code: "CN", Level: org.National, NameZH: "全国", NameEN: "National", Effective: "2010-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	site, err := o.CreateUnit(ctx, access.System, org.UnitInput{Code: "AH", Level: org.Provincial, ParentID: cn.ID, NameZH: "安徽", NameEN: "Anhui", Effective: "2010-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	svc := beneficiaries.New(db, k1)
	svc.SetToday(func() string { return "2011-01-01" })
	c, err := svc.Register(ctx, access.System, beneficiaries.CardInput{SiteID: site.ID, Sex: "F", Birth: "1990", Status: "working", Name: "刘芳"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := run(ctx, []string{"keys", "add", data}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"keys", "rotate", data}); err != nil {
		t.Fatal(err)
	}
	// Drop key 1 from the file: the card still opens.
	raw, _ := os.ReadFile(filepath.Join(dir, "keys"))
	var kept []string
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, "2:") {
			kept = append(kept, l)
		}
	}
	if len(kept) != 1 {
		t.Fatalf("key file after add: %q", raw)
	}
	if err := os.WriteFile(filepath.Join(dir, "keys"), []byte(kept[0]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k2, err := keyring(cfg, false)
	if err != nil || k2.Current() != 2 {
		t.Fatalf("keyring 2: %v", err)
	}
	db, err = store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	caseworker := access.Actor{PublicID: "cw", Role: access.Caseworker, UnitPath: site.Path}
	if id, err := beneficiaries.New(db, k2).Identify(ctx, caseworker, c.ID, "service"); err != nil || id.Name != "刘芳" {
		t.Fatalf("after rotation: %+v %v", id, err)
	}
	db.Close()
	// Inactive since 2011-01-01: with 12 months' retention, anonymised as of 2012-06-30.
	if err := run(ctx, []string{"retention", "apply", data, "--retention-months=24", "--as-of=2012-06-30"}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"retention", "apply", data, "--retention-months=12", "--as-of=2012-06-30"}); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var anon string
	if err := db.R.QueryRowContext(ctx, `SELECT anonymised_on FROM cards WHERE id = $1`, c.ID).Scan(&anon); err != nil || anon != "2012-06-30" {
		t.Errorf("anonymised on %q (%v)", anon, err)
	}
	if err := run(ctx, []string{"retention", "apply", data, "--as-of=30/06/2012"}); !errors.Is(err, errUsage) {
		t.Errorf("bad date: %v", err)
	}
	if err := run(ctx, []string{"keys", "sideways", data}); !errors.Is(err, errUsage) {
		t.Errorf("unknown keys subcommand: %v", err)
	}
}
