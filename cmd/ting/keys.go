package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"ting/internal/beneficiaries"
	"ting/internal/config"
	"ting/internal/seal"
)

// keyring reads the personal-data keys: TING_KEYS inline, else the key file. With create, a
// missing key file is made with one fresh key (readable by its owner only), so a new
// installation works at once; the administrator must back it up apart from the database.
func keyring(cfg *config.Config, create bool) (*seal.Keyring, error) {
	if cfg.KeysInline != "" {
		return seal.ParseKeyring(strings.NewReader(cfg.KeysInline))
	}
	path := cfg.KeysFile()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		line := "# Ting personal-data keys: version:base64. Keep a copy apart from the database backups.\n1:" + seal.NewKey() + "\n"
		if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
			return nil, fmt.Errorf("create key file: %w", err)
		}
		slog.Warn("created a personal-data key file; back it up separately from the database", "file", path)
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("personal-data keys: %w (set TING_KEYS or --keys)", err)
	}
	defer f.Close()
	k, err := seal.ParseKeyring(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// keysCmd manages the keys: add a new version to the key file, re-seal everything under it.
func keysCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: keys add|rotate", errUsage)
	}
	sub := args[0]
	fset := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	cfg := config.Register(fset)
	if err := fset.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	switch sub {
	case "add":
		if cfg.KeysInline != "" {
			return errors.New("keys add: TING_KEYS is set; add the new key to it yourself: " + "N:" + seal.NewKey())
		}
		k, err := keyring(cfg, true)
		if err != nil {
			return err
		}
		next := int(k.Current()) + 1
		if next > 255 {
			return errors.New("keys add: 255 key versions used")
		}
		f, err := os.OpenFile(cfg.KeysFile(), os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(f, "%d:%s\n", next, seal.NewKey())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fmt.Printf("key %d added to %s; run `ting keys rotate` to re-seal under it\n", next, cfg.KeysFile())
		return nil
	case "rotate":
		k, err := keyring(cfg, false)
		if err != nil {
			return err
		}
		db, err := open(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		n, err := beneficiaries.New(db, k).RotateKeys(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("%d cards re-sealed under key %d\n", n, k.Current())
		return nil
	default:
		return fmt.Errorf("%w: keys: unknown subcommand %q (add, rotate)", errUsage, sub)
	}
}

// retention anonymises the cards inactive beyond the retention period.
func retention(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "apply" {
		return fmt.Errorf("%w: retention apply [--as-of DATE]", errUsage)
	}
	fset := flag.NewFlagSet("retention apply", flag.ContinueOnError)
	cfg := config.Register(fset)
	asOf := fset.String("as-of", "", "judge inactivity as of this date (YYYY-MM-DD); default today")
	if err := fset.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	today := time.Now().UTC()
	if *asOf != "" {
		t, err := time.Parse(time.DateOnly, *asOf)
		if err != nil {
			return fmt.Errorf("%w: --as-of %q is not a YYYY-MM-DD date", errUsage, *asOf)
		}
		today = t
	}
	if cfg.RetentionMonths < 1 {
		return fmt.Errorf("%w: --retention-months must be at least 1", errUsage)
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := beneficiaries.New(db, nil)
	svc.SetToday(func() string { return today.Format(time.DateOnly) })
	before := today.AddDate(0, -cfg.RetentionMonths, 0).Format(time.DateOnly)
	n, err := svc.ApplyRetention(ctx, before)
	if err != nil {
		return err
	}
	fmt.Println(strconv.Itoa(n) + " cards inactive since before " + before + " anonymised; their services still count")
	return nil
}
