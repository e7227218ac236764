package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// MigrationFS returns the migration folder for a dialect.
func MigrationFS(d Dialect) fs.FS {
	sub, err := fs.Sub(migrations, "migrations/"+string(d))
	if err != nil {
		panic(err)
	}
	return sub
}

// GoMigration is a migration written in Go: for derived data that SQL cannot compute, such as
// the reach bitmaps. The package that owns the data registers it from init, so the store keeps
// knowing nothing of the domain. Its version is taken in both dialects' SQL sequences (see
// migrations/README.md); Up and Down run in the migration's transaction.
type GoMigration struct {
	Version  int64
	Name     string
	Up, Down func(ctx context.Context, tx *sql.Tx, d Dialect) error
}

var goMigrations = map[int64]GoMigration{}

// RegisterGoMigration adds a Go migration; a version registered twice is a programming error.
func RegisterGoMigration(m GoMigration) {
	if _, dup := goMigrations[m.Version]; dup {
		panic(fmt.Sprintf("store: Go migration %d registered twice", m.Version))
	}
	goMigrations[m.Version] = m
}

func (db *DB) provider() (*goose.Provider, error) {
	gd := goose.DialectSQLite3
	if db.Dialect == Postgres {
		gd = goose.DialectPostgres
	}
	var gms []*goose.Migration
	for _, m := range goMigrations {
		run := func(f func(context.Context, *sql.Tx, Dialect) error) *goose.GoFunc {
			return &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return f(ctx, tx, db.Dialect) }}
		}
		gms = append(gms, goose.NewGoMigration(m.Version, run(m.Up), run(m.Down)))
	}
	return goose.NewProvider(gd, db.W, MigrationFS(db.Dialect), goose.WithDisableGlobalRegistry(true), goose.WithGoMigrations(gms...))
}

// Migrate applies every pending migration.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.provider()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// MigrateTo applies the pending migrations up to and including version: for tests of a
// migration against the data of the schema before it.
func (db *DB) MigrateTo(ctx context.Context, version int64) error {
	p, err := db.provider()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate up to %d: %w", version, err)
	}
	return nil
}

// MigrationStatus is one line of `ting migrate status`.
type MigrationStatus struct {
	Version int64
	Name    string
	Applied bool
	At      string
}

// Status lists every migration and whether it is applied.
func (db *DB) Status(ctx context.Context) ([]MigrationStatus, error) {
	p, err := db.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		m := MigrationStatus{Version: s.Source.Version, Name: s.Source.Path, Applied: s.State == goose.StateApplied}
		if gm, ok := goMigrations[m.Version]; ok && m.Name == "" {
			m.Name = fmt.Sprintf("%05d_%s (Go)", gm.Version, gm.Name)
		}
		if m.Applied {
			m.At = s.AppliedAt.UTC().Format("2006-01-02 15:04:05")
		}
		out = append(out, m)
	}
	return out, nil
}

// Backup writes a consistent copy of the SQLite database to dest using VACUUM INTO.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if db.Dialect != SQLite {
		return fmt.Errorf("backup: use pg_dump for PostgreSQL (see README)")
	}
	_, err := db.W.ExecContext(ctx, "VACUUM INTO $1", dest)
	if err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	return nil
}
