package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// Both pools map the file, so a read after another connection's write does not read every page
// again through system calls.
func TestSQLiteMapsTheFile(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "ting.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, pool := range map[string]*sql.DB{"writer": db.W, "reader": db.R} {
		var n int64
		if err := pool.QueryRowContext(ctx, `PRAGMA mmap_size`).Scan(&n); err != nil || n != 2147418112 {
			t.Errorf("%s: mmap_size %d (%v)", name, n, err)
		}
	}
}

// BenchmarkSQLiteReadAfterWrite scans a table of 300,000 rows (about 30 MB) through the reader
// pool after each write of one row by the writer, which empties the reader's page cache: as
// OpenSQLite opens it (the file mapped) and, as the baseline, with mmap_size 0.
func BenchmarkSQLiteReadAfterWrite(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "ting.db")
	db, err := OpenSQLite(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.W.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, card INTEGER NOT NULL, note TEXT NOT NULL);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
		INSERT INTO t (card, note) SELECT i % 9973, printf('%080d', i) FROM n`); err != nil {
		b.Fatal(err)
	}
	unmapped, err := sql.Open("sqlite", "file:"+path+"?"+strings.Replace(sqlitePragmas, "mmap_size(2147418112)", "mmap_size(0)", 1)+sqliteReaderCache+"&_pragma=query_only(1)")
	if err != nil {
		b.Fatal(err)
	}
	defer unmapped.Close()
	for _, c := range []struct {
		name string
		r    *sql.DB
	}{{"mapped", db.R}, {"baseline-unmapped", unmapped}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := db.W.ExecContext(ctx, `INSERT INTO t (card, note) VALUES (1, 'x')`); err != nil {
					b.Fatal(err)
				}
				var n, sum int64
				if err := c.r.QueryRowContext(ctx, `SELECT COUNT(*), SUM(LENGTH(note) + card) FROM t`).Scan(&n, &sum); err != nil || n < 300000 {
					b.Fatal(n, err)
				}
			}
		})
	}
}
