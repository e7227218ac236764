// Command ting runs the Ting information system: the web server and the tools around it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"ting/internal/access"
	reach "ting/internal/analytics"
	"ting/internal/auth"
	"ting/internal/config"
	"ting/internal/demo"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/seal"
	"ting/internal/store"
	"ting/internal/web"
)

const usage = `ting — information system for multi-level prevention programmes

usage:
  ting serve [--demo] [flags]          run the web server (--demo loads CP-TING Phase II)
  ting migrate up|status [flags]       apply or list database migrations
  ting demo [flags]                    load the demonstration programme and exit
  ting unit create --code C --level L --name-zh Z --name-en E [--parent CODE] [--tags T1,T2] [--effective DATE]
                                       add a unit (the national unit first, on a new database)
  ting user create --username U --name N --role R --unit CODE [--partner ID] [--password P]
  ting user reset --username U [--password P]
  ting backup --out FILE [flags]       consistent copy of the SQLite database
  ting import services FILE [--dry-run] [--lang zh|en]
                                       record the services of a CSV or XLSX register, all or
                                       nothing; a failure lists each bad row, column and rule
  ting analytics rebuild [--verify]    recompute the derived aggregates from the records
                                       (--verify: then prove they equal a fresh recomputation)
  ting analytics verify                compare the kept aggregates with a recomputation
  ting analytics fold                  fold services imported in large batches into the reach
                                       bitmaps now (the server does it in the background)
  ting keys add                        add a new personal-data key version to the key file
  ting keys rotate                     re-seal protected fields under the newest key
  ting retention apply [--as-of DATE]  anonymise cards inactive beyond --retention-months
  ting remind [--as-of DATE]           notify (and e-mail, with SMTP set) late and waiting reports
  ting bench reach [db flags] -- [-units N -cards N -services N …]
                                       unique-reach benchmark against SQL COUNT(DISTINCT), same run
  ting bench progress [db flags] -- [-units N -indicators N -months N -share F …]
                                       national-scale roll-up benchmark against plain SQL, same run
  ting help

shared flags (each with its environment variable):
  --addr      TING_ADDR          listen address (default 127.0.0.1:8080)
  --data      TING_DATA          data directory for embedded SQLite (default ./data)
  --database  TING_DATABASE_URL  postgres://… to use PostgreSQL instead of SQLite
  --keys      TING_KEYS_FILE     personal-data key file (default <data>/keys; TING_KEYS: keys inline)
`

// errUsage marks a mistake in the command line itself (exit status 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if errors.Is(err, errUsage) {
		fmt.Fprintf(os.Stderr, "ting: %v\n\n%s", err, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ting:", err)
		os.Exit(1)
	}
}

// run executes one command; it is main without the process exit, so tests can call it.
func run(ctx context.Context, argv []string) error {
	if len(argv) == 0 {
		return fmt.Errorf("%w: no command", errUsage)
	}
	var err error
	switch cmd, args := argv[0], argv[1:]; cmd {
	case "serve":
		err = serve(ctx, args)
	case "migrate":
		err = migrate(ctx, args)
	case "demo":
		err = demoCmd(ctx, args)
	case "user":
		err = userCmd(ctx, args)
	case "unit":
		err = unitCmd(ctx, args)
	case "backup":
		err = backup(ctx, args)
	case "import":
		err = importCmd(ctx, args)
	case "analytics":
		err = analytics(ctx, args)
	case "remind":
		err = remind(ctx, args)
	case "bench":
		err = bench(ctx, args)
	case "keys":
		err = keysCmd(ctx, args)
	case "retention":
		err = retention(ctx, args)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	return err
}

func logger(cfg *config.Config) *slog.Logger {
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

// open connects to the configured database and brings its schema up to date.
func open(ctx context.Context, cfg *config.Config) (*store.DB, error) {
	reach.SetCacheBytes(int64(cfg.ReachCacheMB) << 20)
	db, err := store.Open(ctx, cfg.Database, cfg.Data)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if built, err := results.New(db).EnsureRollups(ctx); err != nil {
		db.Close()
		return nil, err
	} else if built {
		slog.Info("built the indicator rollups of values stored before they existed")
	}
	return db, nil
}

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg := config.Register(fs)
	withDemo := fs.Bool("demo", false, "create (idempotently) the CP-TING Phase II demonstration programme and print its logins")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	log := logger(cfg)
	slog.SetDefault(log)
	keys, err := keyring(cfg, true)
	if err != nil {
		return err
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if *withDemo {
		creds, err := loadDemo(ctx, db, keys)
		if err != nil {
			return err
		}
		printCredentials(creds)
	}
	opts := web.Options{Logger: log, SecureCookies: cfg.Secure, Version: "dev", Keys: keys}
	asOf := func() string { return "" }
	if *withDemo {
		// The demonstration programme is seen as of its evaluation.
		opts.Today = func() string { return demo.AsOf }
		asOf = opts.Today
	}
	srv, err := web.New(db, opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go srv.PurgeSessions(ctx, time.Hour)
	go remindDaily(ctx, db, cfg, asOf, log)
	// Services imported in large batches wait in the reach change sequence (counted exactly
	// all the while) until folded into the bitmaps here.
	go reach.RunFolder(ctx, db, 2*time.Second, reach.FoldBatch(db.Dialect), func(err error) { log.Error("folding imported services into the reach bitmaps", "err", err) })
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("ting listening", "url", "http://"+ln.Addr().String(), "database", db.Dialect)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func printCredentials(creds []demo.Credential) {
	fmt.Println("Demonstration programme CP-TING Phase II is loaded. Sign in with:")
	for _, c := range creds {
		fmt.Printf("  %-22s %-16s %-20s %s\n", c.Role, c.Username, c.Password, c.Unit)
	}
}

func migrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cfg := config.Register(fs)
	// Flags may come before the subcommand or after it (`ting migrate up --database …`); flag
	// parsing stops at the subcommand, so what follows it is parsed again.
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	sub := "up"
	if fs.NArg() > 0 {
		sub = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: migrate: unexpected arguments %q", errUsage, fs.Args())
	}
	db, err := store.Open(ctx, cfg.Database, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "up":
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		fallthrough
	case "status":
		st, err := db.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied " + s.At
			}
			fmt.Printf("%05d  %-40s %s\n", s.Version, s.Name, state)
		}
		return nil
	default:
		return fmt.Errorf("migrate: unknown subcommand %q (up, status)", sub)
	}
}

func demoCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	cfg := config.Register(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	keys, err := keyring(cfg, true)
	if err != nil {
		return err
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	creds, err := loadDemo(ctx, db, keys)
	if err != nil {
		return err
	}
	printCredentials(creds)
	return nil
}

// loadDemo loads the demonstration programme and the people it served.
func loadDemo(ctx context.Context, db *store.DB, keys *seal.Keyring) ([]demo.Credential, error) {
	creds, err := demo.Load(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	start := time.Now()
	n, err := demo.LoadPeople(ctx, db, keys)
	if err != nil {
		return nil, fmt.Errorf("demo people: %w", err)
	}
	if n > 0 {
		slog.Info("demo beneficiary cards", "cards", n, "took", time.Since(start).Round(time.Millisecond))
	}
	return creds, nil
}

func userCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: user create|reset", errUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	cfg := config.Register(fs)
	username := fs.String("username", "", "login name")
	name := fs.String("name", "", "full name (create)")
	role := fs.String("role", "", "role (create): "+roleNames())
	unit := fs.String("unit", "", "code of the unit the user is bound to (create)")
	partner := fs.Int64("partner", 0, "partner id the user reports for (create, optional)")
	password := fs.String("password", "", "password; prompted for when empty")
	lang := fs.String("lang", "", "preferred language zh|en (create, optional)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	pw := *password
	if pw == "" {
		if pw, err = readPassword(); err != nil {
			return err
		}
	}
	svc := auth.New(db)
	switch sub {
	case "create":
		u, err := org.New(db).UnitByCode(ctx, access.System, *unit)
		if err != nil {
			return fmt.Errorf("--unit %q: %w", *unit, err)
		}
		created, err := svc.CreateUser(ctx, access.System, auth.UserInput{Username: *username, DisplayName: *name, Password: pw,
			Role: access.Role(*role), UnitID: u.ID, PartnerID: *partner, Lang: *lang})
		if err != nil {
			return err
		}
		fmt.Printf("created user %s (%s) at %s\n", created.Username, created.Role, u.NameEN)
		return nil
	case "reset":
		if err := svc.ResetPassword(ctx, access.System, *username, pw); err != nil {
			return err
		}
		fmt.Printf("password of %s reset; lock-out cleared\n", *username)
		return nil
	default:
		return fmt.Errorf("user: unknown subcommand %q (create, reset)", sub)
	}
}

func unitCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: unit create", errUsage)
	}
	fs := flag.NewFlagSet("unit create", flag.ContinueOnError)
	cfg := config.Register(fs)
	code := fs.String("code", "", "unit code, e.g. CN")
	level := fs.String("level", "", "national, provincial, municipal, county or community")
	parent := fs.String("parent", "", "code of the parent unit (empty only for the national unit)")
	nameZH := fs.String("name-zh", "", "name in Chinese")
	nameEN := fs.String("name-en", "", "name in English")
	tags := fs.String("tags", "", "comma-separated tags: sending, receiving, pilot, light")
	effective := fs.String("effective", "", "opening date YYYY-MM-DD (default today)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	lv, ok := org.ParseLevel(*level)
	if !ok {
		return fmt.Errorf("%w: --level must be national, provincial, municipal, county or community", errUsage)
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := org.New(db)
	in := org.UnitInput{Code: *code, Level: lv, NameZH: *nameZH, NameEN: *nameEN, Effective: *effective}
	if *tags != "" {
		in.Tags = strings.Split(*tags, ",")
	}
	if *parent != "" {
		p, err := svc.UnitByCode(ctx, access.System, *parent)
		if err != nil {
			return fmt.Errorf("--parent %q: %w", *parent, err)
		}
		in.ParentID = p.ID
	}
	u, err := svc.CreateUnit(ctx, access.System, in)
	if err != nil {
		return err
	}
	fmt.Printf("created unit %s (%s) %s / %s\n", u.Code, u.Level.Key(), u.NameZH, u.NameEN)
	return nil
}

func roleNames() string {
	var s []string
	for _, r := range access.Roles {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

func readPassword() (string, error) {
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return "", fmt.Errorf("no --password given and standard input is not a terminal")
	}
	fmt.Fprint(os.Stderr, "password: ")
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(os.Stderr)
	return string(b), err
}

func backup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	cfg := config.Register(fs)
	out := fs.String("out", "", "file to write (must not exist)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *out == "" {
		*out = filepath.Join(cfg.Data, "backup-"+time.Now().UTC().Format("20060102-150405")+".db")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("backup: %s already exists", *out)
	}
	db, err := store.Open(ctx, cfg.Database, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, *out); err != nil {
		return err
	}
	fmt.Println("backup written to", *out)
	return nil
}
