package sqlcore

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

// timeDest scans a NOT NULL time: SQLite stores Unix microseconds, PostgreSQL timestamptz.
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(v any) error {
	t, ok, err := decodeTime(v)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("scan time: unexpected NULL")
	}
	*d.t = t
	return nil
}

// nullTimeDest scans a nullable time into a *time.Time.
type nullTimeDest struct{ t **time.Time }

func (d nullTimeDest) Scan(v any) error {
	t, ok, err := decodeTime(v)
	if err != nil {
		return err
	}
	*d.t = nil
	if ok {
		*d.t = &t
	}
	return nil
}

func decodeTime(v any) (time.Time, bool, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, false, nil
	case int64:
		return time.UnixMicro(x).UTC(), true, nil
	case time.Time:
		return x.UTC(), true, nil
	}
	return time.Time{}, false, fmt.Errorf("scan time: unsupported %T", v)
}

// jsonDest scans a JSON column (SQLite TEXT, PostgreSQL jsonb) into dst.
type jsonDest struct{ dst any }

func (d jsonDest) Scan(v any) error {
	var b []byte
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("scan json: unsupported %T", v)
	}
	if s := string(b); s == "{}" || s == "[]" { // most keys have no tags or model list
		return nil
	}
	if err := jsonx.Unmarshal(b, d.dst); err != nil {
		return fmt.Errorf("scan json: %w", err)
	}
	return nil
}

// rawJSONDest scans a nullable JSON column into a json.RawMessage-like []byte.
type rawJSONDest struct{ dst *[]byte }

func (d rawJSONDest) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d.dst = nil
	case string:
		*d.dst = []byte(x)
	case []byte:
		*d.dst = append([]byte(nil), x...)
	default:
		return fmt.Errorf("scan json: unsupported %T", v)
	}
	return nil
}

// emptyMap and emptySlice make "no entries" nil everywhere, so what Create returns equals
// what Get returns whether the caller passed nil or empty.
func emptyMap[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return m
}

func emptySlice[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

// jsonArg encodes v as a JSON text argument; nil maps and slices become {} and [].
func jsonArg(v any) (string, error) {
	b, err := jsonx.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode json: %w", err)
	}
	return string(b), nil
}

// rawJSONArg passes stored JSON through, NULL when empty.
func rawJSONArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// nullString maps "" to NULL in both directions.
type nullString struct{ s *string }

func (n nullString) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*n.s = ""
	case string:
		*n.s = x
	case []byte:
		*n.s = string(x)
	default:
		return fmt.Errorf("scan string: unsupported %T", v)
	}
	return nil
}

func nullStr(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}

// listQuery is a list query before paging: "SELECT cols from WHERE where...".
type listQuery struct {
	cols, from string
	where      []string // joined with AND
	args       []any
}

func (l *listQuery) filter(cond string, arg any) {
	l.where = append(l.where, cond)
	l.args = append(l.args, arg)
}

// page runs l ordered by id, fetching opts.Limit+1 rows to learn whether another page
// follows; idOf gives the cursor of the last item.
func page[T any](ctx context.Context, q Querier, l listQuery, opts store.ListOptions,
	scan func(Rows) (T, error), idOf func(*T) string) (store.Page[T], error) {
	var p store.Page[T]
	limit := opts.Limit
	switch {
	case limit < 0:
		return p, fmt.Errorf("%w list options: limit must be >= 0", store.ErrInvalid)
	case limit == 0:
		limit = store.DefaultLimit
	case limit > store.MaxLimit:
		limit = store.MaxLimit
	}
	if opts.After != "" {
		l.filter("id > ?", opts.After)
	}
	query := "SELECT " + l.cols + " " + l.from
	if len(l.where) > 0 {
		query += " WHERE " + strings.Join(l.where, " AND ")
	}
	query += " ORDER BY id LIMIT ?"
	args := append(l.args, limit+1)

	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, v)
	}
	if err := rows.Err(); err != nil {
		return p, err
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		p.Next = idOf(&p.Items[limit-1])
	}
	return p, nil
}

// all runs query and scans every row.
func all[T any](ctx context.Context, q Querier, scan func(Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
