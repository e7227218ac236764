package benchgen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"ting/internal/store"
)

// Bulk loading. Rows are produced by a generator goroutine into batches (a flat []any, the
// constant columns first, then each row's varying columns) while the loader writes the previous
// batch, so the two cores share the work: on SQLite the loader is the SQLite engine itself.
//
// SQLite: one prepared multi-row INSERT per batch size on the single writer connection,
// committed every commitRows rows. PostgreSQL: COPY through pgx when the driver connection is
// pgx's (it is, via store.Open), one COPY per commitRows rows, else multi-row INSERTs. On both,
// foreign keys are not checked row by row during the load (see uncheckedConn).

// Load methods, reported in Generated.Method.
const (
	MethodMultiRow = "multi-row INSERT"
	MethodCopy     = "COPY"
)

// table describes a bulk load: constant columns (same value on every row) and varying ones.
type table struct {
	name      string
	consts    []string
	constVals []any
	cols      []string
	// overriding: the rows give values for a PostgreSQL GENERATED ALWAYS identity column
	// (COPY accepts them as they are; INSERT needs OVERRIDING SYSTEM VALUE).
	overriding bool
}

// batch is a buffer of rows: buf[:len(consts)] holds the constants, then rows × len(cols).
type batch struct {
	buf  []any
	rows int
}

// producer fills batches: row() returns the next row's slots to fill in place.
type producer struct {
	t    *table
	size int // rows per batch
	cur  *batch
	out  chan *batch
	free chan *batch
	ctx  context.Context
}

func (p *producer) row() []any {
	if p.cur != nil && p.cur.rows == p.size {
		p.flush() // the previous row is filled by now
	}
	if p.cur == nil {
		select {
		case p.cur = <-p.free:
		case <-p.ctx.Done():
			panic(errStopped)
		}
		p.cur.rows = 0
	}
	w, c := len(p.t.cols), len(p.t.consts)
	off := c + p.cur.rows*w
	p.cur.rows++
	return p.cur.buf[off : off+w]
}

func (p *producer) flush() {
	if p.cur == nil || p.cur.rows == 0 {
		return
	}
	select {
	case p.out <- p.cur:
	case <-p.ctx.Done():
		panic(errStopped)
	}
	p.cur = nil
}

var errStopped = errors.New("bulk load stopped")

// loader writes batches into one table.
type loader struct {
	db         *store.DB
	t          *table
	size       int
	commitRows int
}

// rowsPerStatement keeps a multi-row INSERT under both engines' parameter limits (SQLite's
// 32,766 with the constants repeated in every tuple).
func rowsPerStatement(cols int) int {
	return min(30000/cols, 1000)
}

// load runs gen (which fills rows through the producer) concurrently with the writer and
// returns the number of rows written and the method used. The caller's row slots must be filled
// completely before the next call to row(), since a full batch is handed to the writer at once.
func load(ctx context.Context, db *store.DB, t *table, noCopy bool, gen func(p *producer)) (int64, string, error) {
	l := loader{db: db, t: t, size: rowsPerStatement(len(t.consts) + len(t.cols)), commitRows: 1_000_000}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &producer{t: t, size: l.size, out: make(chan *batch, 3), free: make(chan *batch, 4), ctx: ctx}
	for range 4 {
		b := &batch{buf: make([]any, len(t.consts)+l.size*len(t.cols))}
		copy(b.buf, t.constVals)
		p.free <- b
	}
	genErr := make(chan error, 1)
	go func() {
		defer close(p.out)
		defer func() {
			if r := recover(); r != nil {
				if r == errStopped {
					genErr <- ctx.Err()
					return
				}
				panic(r)
			}
			genErr <- nil
		}()
		gen(p)
		p.flush()
	}()
	var n int64
	var method string
	var err error
	if db.Dialect == store.Postgres && !noCopy {
		n, method, err = l.copyPG(ctx, p)
	} else {
		n, err = l.insert(ctx, p)
		method = MethodMultiRow
	}
	if err != nil {
		cancel()
		for range p.out { // let the generator finish
		}
		<-genErr
		return n, method, err
	}
	if err := <-genErr; err != nil {
		return n, method, err
	}
	return n, method, nil
}

// insertSQL builds the multi-row INSERT for rows tuples. On PostgreSQL $1..$c are the
// constants, repeated in every tuple. SQLite gets plain ? parameters with the constants bound in
// every tuple: its lookup of a numbered parameter's name scans all of them, which makes binding a
// statement of thousands of $N parameters quadratic.
func (l *loader) insertSQL(rows int) string {
	var b strings.Builder
	c, w := len(l.t.consts), len(l.t.cols)
	b.WriteString("INSERT INTO " + l.t.name + " (" + strings.Join(append(append([]string{}, l.t.consts...), l.t.cols...), ", ") + ")")
	if l.t.overriding {
		b.WriteString(" OVERRIDING SYSTEM VALUE")
	}
	b.WriteString(" VALUES ")
	if l.db.Dialect == store.SQLite {
		tuple := "(" + strings.Repeat("?, ", c+w-1) + "?)"
		for r := range rows {
			if r > 0 {
				b.WriteByte(',')
			}
			b.WriteString(tuple)
		}
		return b.String()
	}
	consts := make([]string, c)
	for i := range consts {
		consts[i] = "$" + strconv.Itoa(i+1)
	}
	constList := strings.Join(consts, ", ")
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		b.WriteString(constList)
		for j := range w {
			if c > 0 || j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(c+r*w+j+1))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// args returns a batch's arguments for insertSQL: as they are on PostgreSQL, with the constants
// repeated before every row on SQLite (into buf, reused).
func (l *loader) args(b *batch, buf []any) []any {
	c, w := len(l.t.consts), len(l.t.cols)
	if l.db.Dialect != store.SQLite {
		return b.buf[:c+b.rows*w]
	}
	buf = buf[:0]
	for r := range b.rows {
		buf = append(buf, b.buf[:c]...)
		buf = append(buf, b.buf[c+r*w:c+(r+1)*w]...)
	}
	return buf
}

// uncheckedConn returns a writer connection on which foreign keys are not checked, and what
// puts the check back before the connection returns to the pool. The generated rows refer only to
// rows generated before them (the test checks every reference afterwards); checking them row by
// row is most of the cost of a load on PostgreSQL, where each check is a trigger running a query.
// Turning the triggers off there needs a superuser; without one the load runs with the checks.
func (l *loader) uncheckedConn(ctx context.Context) (*sql.Conn, func(), error) {
	conn, err := l.db.W.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	on, off := "PRAGMA foreign_keys = ON", "PRAGMA foreign_keys = OFF"
	if l.db.Dialect == store.Postgres {
		on, off = "RESET session_replication_role", "SET session_replication_role = replica"
	}
	if _, err := conn.ExecContext(ctx, off); err != nil {
		return conn, func() { conn.Close() }, nil
	}
	return conn, func() {
		conn.ExecContext(context.Background(), on)
		conn.Close()
	}, nil
}

// insert writes batches with multi-row INSERTs on one connection, committing every commitRows.
func (l *loader) insert(ctx context.Context, p *producer) (int64, error) {
	conn, release, err := l.uncheckedConn(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	var tx *sql.Tx
	var full *sql.Stmt
	var n, inTx int64
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	var buf []any
	for b := range p.out {
		if tx == nil {
			if tx, err = conn.BeginTx(ctx, nil); err != nil {
				return n, err
			}
			if full, err = tx.PrepareContext(ctx, l.insertSQL(l.size)); err != nil {
				return n, fmt.Errorf("prepare insert into %s: %w", l.t.name, err)
			}
		}
		buf = l.args(b, buf)
		if b.rows == l.size {
			_, err = full.ExecContext(ctx, buf...)
		} else {
			_, err = tx.ExecContext(ctx, l.insertSQL(b.rows), buf...)
		}
		if err != nil {
			return n, fmt.Errorf("insert into %s: %w", l.t.name, err)
		}
		n += int64(b.rows)
		inTx += int64(b.rows)
		p.free <- b
		if inTx >= int64(l.commitRows) {
			full.Close()
			if err := tx.Commit(); err != nil {
				return n, err
			}
			tx, inTx = nil, 0
		}
	}
	if tx != nil {
		full.Close()
		err := tx.Commit()
		tx = nil
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// copyPG streams batches into COPY on a pgx connection, one COPY (one transaction) per
// commitRows rows. It falls back to multi-row INSERTs when the connection is not pgx's.
func (l *loader) copyPG(ctx context.Context, p *producer) (int64, string, error) {
	conn, release, err := l.uncheckedConn(ctx)
	if err != nil {
		return 0, "", err
	}
	var isPgx bool
	conn.Raw(func(dc any) error {
		_, isPgx = dc.(*stdlib.Conn)
		return nil
	})
	if !isPgx {
		release()
		n, err := l.insert(ctx, p)
		return n, MethodMultiRow, err
	}
	defer release()
	c, w := len(l.t.consts), len(l.t.cols)
	cols := append(append([]string{}, l.t.consts...), l.t.cols...)
	row := make([]any, c+w)
	copy(row, l.t.constVals)
	var n int64
	var cur *batch
	var i int
	done := false
	for !done {
		var inCopy int64
		src := pgx.CopyFromFunc(func() ([]any, error) {
			for cur == nil || i == cur.rows {
				if cur != nil {
					p.free <- cur
					cur = nil
				}
				if inCopy >= int64(l.commitRows) {
					return nil, nil
				}
				b, ok := <-p.out
				if !ok {
					done = true
					return nil, nil
				}
				cur, i = b, 0
			}
			copy(row[c:], cur.buf[c+i*w:c+(i+1)*w])
			i++
			inCopy++
			return row, nil
		})
		err := conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			k, err := pc.CopyFrom(ctx, pgx.Identifier{l.t.name}, cols, src)
			n += k
			return err
		})
		if err != nil {
			if cur != nil {
				p.free <- cur
			}
			return n, MethodCopy, fmt.Errorf("copy into %s: %w", l.t.name, err)
		}
	}
	return n, MethodCopy, nil
}

// rate is rows per second.
func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
