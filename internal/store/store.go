// Package store owns the database handle: opening SQLite or PostgreSQL, the small dialect layer
// that lets one set of SQL run on both, transactions with retry, error classification, and the
// goose migrations. It knows nothing about the programme's domain.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Dialect names the database engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Bind writes a statement's $1, $2… placeholders as the dialect numbers them best. SQLite reads
// "$1" as a parameter name and looks names up in a list, so a statement of thousands of
// parameters (a multi-row write) spends most of its time there; "?1" is its plain numbered
// form. Statements hold no '$' other than placeholders.
func (d Dialect) Bind(query string) string {
	if d != SQLite || !strings.Contains(query, "$") {
		return query
	}
	return strings.ReplaceAll(query, "$", "?")
}

// Rows is how many rows of perRow parameters one multi-row statement should bind. The SQLite
// driver looks up every parameter's name in a list, a cost that grows with the square of the
// parameters in a statement; a few hundred is its sweet spot. PostgreSQL takes thousands.
func (d Dialect) Rows(perRow int) int {
	limit := 4000
	if d == SQLite {
		limit = 400
	}
	return max(1, limit/max(1, perRow))
}

// DB is the handle every domain package takes. W is the writer; R serves reads. On PostgreSQL
// both are the same pool; on SQLite W is a single connection so writers queue in Go rather than
// fight over the file lock.
type DB struct {
	W       *sql.DB
	R       *sql.DB
	Dialect Dialect
	// Path is the SQLite file (empty on PostgreSQL), used by backups.
	Path string
}

// IsPostgres reports whether the DSN names a PostgreSQL server.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to PostgreSQL when database is a postgres:// URL, otherwise opens (creating if
// needed) the SQLite file ting.db in dataDir. It does not migrate; call Migrate.
func Open(ctx context.Context, database, dataDir string) (*DB, error) {
	if IsPostgres(database) {
		return openPostgres(ctx, database)
	}
	if database != "" {
		return nil, fmt.Errorf("database %q: only postgres:// URLs are accepted; leave it empty for embedded SQLite in --data", database)
	}
	if dataDir == "" {
		dataDir = "data"
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	return OpenSQLite(ctx, filepath.Join(dataDir, "ting.db"))
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &DB{W: db, R: db, Dialect: Postgres}, nil
}

// sqlitePragmas: busy_timeout must come first so that switching to WAL waits for other
// processes instead of failing. mmap_size maps the database file (up to SQLite's limit, just
// under 2 GiB) for reading: every write empties the other connections' page caches, and without
// the map each page they read again is a read system call and a fresh allocation (the drift
// report after a write spent 40% of its time there).
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=mmap_size(2147418112)&_time_format=sqlite"

// SQLite's page cache is 2 MB a connection by default; a write into the indexes of a table of
// millions of services then reads most of its pages from the file again. The writer keeps up
// to 256 MB, each reader 64 MB (the cache grows only as pages are used). The writer keeps its
// statement journals (every multi-row write in a transaction has one) in memory, not in a
// temporary file.
const sqliteWriterCache, sqliteReaderCache = "&_pragma=cache_size(-262144)&_pragma=temp_store(2)", "&_pragma=cache_size(-65536)"

// OpenSQLite opens the SQLite file at path with one writer connection and a reader pool.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	w, err := sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas+sqliteWriterCache+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas+sqliteReaderCache+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite reader: %w", err)
	}
	r.SetMaxOpenConns(4)
	return &DB{W: w, R: r, Dialect: SQLite, Path: path}, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.W.Close()
	if db.R != db.W {
		err = errors.Join(err, db.R.Close())
	}
	return err
}

// Tx runs fn in a write transaction and commits if fn returns nil. On SQLite a "database is
// locked" error from another process is retried a few times.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = db.tx(ctx, fn)
		if err == nil || !IsBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(50*(attempt+1)) * time.Millisecond):
		}
	}
	return err
}

func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Queryer is what read helpers accept: a *sql.DB or a *sql.Tx.
type Queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Now is the clock for stored times: UTC, truncated to microseconds so both databases round-trip it.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// IDs runs a query of one integer column and returns its values.
func IDs(ctx context.Context, q Queryer, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Page is the clause that reads one page of a query's rows: limit rows from offset on, or all
// of them (an empty clause) when limit is not above 0.
func Page(limit, offset int) string {
	if limit <= 0 {
		return ""
	}
	return fmt.Sprintf(" LIMIT %d OFFSET %d", limit, max(offset, 0))
}
