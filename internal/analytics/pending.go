package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/store"
)

// The change sequence. A write of a few services merges them into the bitmaps in its own
// transaction (Add). A large import would rewrite tens of thousands of bitmaps per batch that
// way; instead it lists its services in reach_pending (Defer), in its transaction, and Fold
// merges them later, many batches at once, touching each bitmap once. Counts stay exact in
// between: Reach adds the people of the pending services of the subtree and span to what the
// bitmaps hold.

// Defer lists services, written in the caller's transaction, for a later Fold: each with its
// card, site, date and type, copied from the service just written, so that counts and folds
// never read the services table for them.
func Defer(ctx context.Context, tx *sql.Tx, d store.Dialect, serviceIDs []int64) error {
	const copyFacts = `INSERT INTO reach_pending (service_id, card_id, site_id, served_on, type) SELECT id, card_id, site_id, served_on, type FROM services WHERE `
	if d == store.Postgres {
		if _, err := tx.ExecContext(ctx, copyFacts+`id = ANY($1::bigint[])`, serviceIDs); err != nil {
			return fmt.Errorf("reach: defer: %w", err)
		}
		return nil
	}
	for len(serviceIDs) > 0 {
		chunk := serviceIDs[:min(len(serviceIDs), 5000)]
		serviceIDs = serviceIDs[len(chunk):]
		if _, err := tx.ExecContext(ctx, copyFacts+`id IN (`+ints(chunk, ",")+`)`); err != nil {
			return fmt.Errorf("reach: defer: %w", err)
		}
	}
	return nil
}

// AddOrDefer records services as Add does, in the caller's transaction, unless a fold holds the
// bitmaps (PostgreSQL): then it lists them for the next fold, as Defer does. So a caseworker's
// single service never waits for the fold of a large import, which at national scale holds the
// bitmaps for tens of seconds; counts are exact either way. served and ids are the same
// services, in the same order.
func AddOrDefer(ctx context.Context, tx *sql.Tx, d store.Dialect, served []Served, ids []int64) error {
	if len(served) != len(ids) {
		return fmt.Errorf("reach: %d services and %d ids", len(served), len(ids))
	}
	if d == store.Postgres {
		// What Add's writes would take anyway; a fold asks for EXCLUSIVE, which conflicts.
		free, err := tryLock(ctx, tx, "reach_bitmaps", "ROW EXCLUSIVE")
		if err != nil {
			return err
		}
		if !free {
			return Defer(ctx, tx, d, ids)
		}
	}
	return Add(ctx, tx, d, served)
}

// tryLock takes a table lock (PostgreSQL) if no other transaction holds or awaits one that
// conflicts, without waiting; a savepoint keeps a refusal from ending the caller's transaction.
func tryLock(ctx context.Context, tx *sql.Tx, table, mode string) (bool, error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT try_lock`); err != nil {
		return false, err
	}
	_, err := tx.ExecContext(ctx, `LOCK TABLE `+table+` IN `+mode+` MODE NOWAIT`)
	if err == nil {
		_, err = tx.ExecContext(ctx, `RELEASE SAVEPOINT try_lock`)
		return err == nil, err
	}
	if !store.IsLockNotAvailable(err) {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT try_lock`); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `RELEASE SAVEPOINT try_lock`)
	return false, err
}

// Pending is the number of services not yet folded into the bitmaps.
func Pending(ctx context.Context, q store.Queryer) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM reach_pending`).Scan(&n)
	return n, err
}

// Fold merges up to limit pending services (all when limit is 0), oldest first, into the
// bitmaps and takes them off the list, in one transaction. It returns how many it folded.
func Fold(ctx context.Context, db *store.DB, limit int) (int, error) {
	var n int
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = fold(ctx, tx, db.Dialect, limit)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reach fold: %w", err)
	}
	return n, nil
}

// FoldAll folds batches of batch services until nothing is pending, and returns how many.
//
// On PostgreSQL it then vacuums the pending list. The list is a queue: every fold deletes the
// rows it took, and every count scans what is left. Left to autovacuum (which a server may run
// rarely, or not at all), the dead rows pile up: on a test machine with autovacuum off, 2
// million of them made every national count scan them, 150 ms instead of 2.
func FoldAll(ctx context.Context, db *store.DB, batch int) (int64, error) {
	var total int64
	for {
		n, err := Fold(ctx, db, batch)
		total += int64(n)
		if err != nil || n == 0 || batch <= 0 {
			if err == nil && total > 0 && db.Dialect == store.Postgres {
				if _, err := db.W.ExecContext(ctx, `VACUUM reach_pending`); err != nil {
					return total, fmt.Errorf("reach: vacuum the pending list: %w", err)
				}
			}
			return total, err
		}
	}
}

// FoldBatch is how many services one fold takes: on SQLite, whose one writer the fold holds
// while it runs, fewer than on PostgreSQL.
func FoldBatch(d store.Dialect) int {
	if d == store.SQLite {
		return 20_000
	}
	return 50_000
}

// RunFolder folds in the background until ctx ends: whenever services are pending, in batches
// of batch, checking every interval. A failed fold is reported to report and tried again at
// the next interval (the services stay pending, and counted).
func RunFolder(ctx context.Context, db *store.DB, every time.Duration, batch int, report func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := FoldAll(ctx, db, batch); err != nil && ctx.Err() == nil {
			report(err)
		}
	}
}

// fold is Fold in the caller's transaction. On PostgreSQL the pending rows it takes are locked.
// A batch (limit > 0) skips rows another transaction holds: a concurrent fold takes others, and
// a transaction deleting or re-adding a pending service (which deletes its row) either holds it
// first, or waits for the fold and then corrects the bitmaps from the services it leaves. A fold
// of everything (limit 0, as a unit move does before recomputing) waits for the rows held, so
// no fold under the old paths can commit after it.
func fold(ctx context.Context, tx *sql.Tx, d store.Dialect, limit int) (int, error) {
	query := `SELECT p.service_id, p.card_id, p.served_on, p.type, u.path FROM reach_pending p
		JOIN org_units u ON u.id = p.site_id ORDER BY p.service_id`
	if limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(limit)
	}
	if d == store.Postgres {
		query += ` FOR UPDATE OF p`
		if limit > 0 {
			query += ` SKIP LOCKED`
		}
	}
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return 0, err
	}
	// The county rows take the services in place; the rows above them, which every fold of a
	// large import touches and which are the largest, get a delta row each (delta.go).
	c := newChange[key]()
	deltas := map[key]*roaring.Bitmap{}
	var ids []int64
	for rows.Next() {
		var id, card int64
		var date, typ, path string
		if err := rows.Scan(&id, &card, &date, &typ, &path); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
		for i, u := range indexed(path) {
			into := c.add
			if i < DeltaDepth {
				into = deltas
			}
			keysAt(u, card, date, typ, func(k key) { addBit(into, k, card) })
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	// A fold rewrites many thousands of bitmaps: on PostgreSQL it holds the table against other
	// writers (readers go on) rather than locking each row, which would write every row twice.
	if d == store.Postgres {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE reach_bitmaps IN EXCLUSIVE MODE`); err != nil {
			return 0, err
		}
	}
	if err := apply(ctx, tx, d, reachTable, c, false); err != nil {
		return 0, err
	}
	if err := addDeltas(ctx, tx, d, deltas, len(ids)); err != nil {
		return 0, err
	}
	for rest := ids; len(rest) > 0; {
		chunk := rest[:min(len(rest), 5000)]
		rest = rest[len(chunk):]
		if _, err := tx.ExecContext(ctx, `DELETE FROM reach_pending WHERE service_id IN (`+ints(chunk, ",")+`)`); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// Unlist takes services off the pending list without folding them, in the caller's
// transaction: for a writer that is about to put them in the bitmaps itself (a merge, which
// re-adds the services under the card kept).
func Unlist(ctx context.Context, tx *sql.Tx, cond string, args ...any) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM reach_pending WHERE service_id IN (SELECT s.id FROM services s WHERE `+cond+`)`, args...)
	return err
}

// pendingPeople adds to out the people of the pending services in a unit's subtree, over a
// span, of the given types (none: any). The list is read alone, by span and type, and the paths
// of the sites it names then by id: no plan can start from the services or walk all the units,
// and nothing pending costs one empty read.
func pendingPeople(ctx context.Context, q store.Queryer, u Unit, s Span, types []string, out map[uint32]*roaring.Bitmap) error {
	query := `SELECT card_id, site_id FROM reach_pending WHERE served_on BETWEEN $1 AND $2`
	args := []any{s.From + "-01", s.To + "-31"}
	if len(types) > 0 {
		ph := make([]string, len(types))
		for i, t := range types {
			args = append(args, t)
			ph[i] = "$" + strconv.Itoa(len(args))
		}
		query += ` AND type IN (` + strings.Join(ph, ",") + `)`
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("reach: pending: %w", err)
	}
	bySite := map[int64][]int64{}
	for rows.Next() {
		var card, site int64
		if err := rows.Scan(&card, &site); err != nil {
			rows.Close()
			return err
		}
		bySite[site] = append(bySite[site], card)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(bySite) == 0 {
		return err
	}
	add := func(site int64) {
		for _, card := range bySite[site] {
			addBit(out, shardOf(card), card)
		}
	}
	sites := make([]int64, 0, len(bySite))
	for site := range bySite {
		sites = append(sites, site)
	}
	slices.Sort(sites)
	for len(sites) > 0 {
		chunk := sites[:min(len(sites), 5000)]
		sites = sites[len(chunk):]
		rows, err := q.QueryContext(ctx, `SELECT id, path FROM org_units WHERE id IN (`+ints(chunk, ",")+`)`)
		if err != nil {
			return fmt.Errorf("reach: pending: %w", err)
		}
		for rows.Next() {
			var site int64
			var path string
			if err := rows.Scan(&site, &path); err != nil {
				rows.Close()
				return err
			}
			if strings.HasPrefix(path, u.Path) {
				add(site)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// ints writes ids as SQL integer literals separated by sep: long lists of ids the database
// gave are written into the statement rather than bound, which costs SQLite nothing to parse.
func ints(ids []int64, sep string) string {
	var sb strings.Builder
	for i, id := range ids {
		if i > 0 {
			sb.WriteString(sep)
		}
		sb.WriteString(strconv.FormatInt(id, 10))
	}
	return sb.String()
}
