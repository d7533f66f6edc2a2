package pbi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// maxQueryRows is the documented executeQueries cap of rows per query.
const maxQueryRows = 100_000

// executeQueries runs the small DAX subset a push client needs to verify
// what it wrote (executeQueries on push datasets is UNCONFIRMED; the sandbox
// supports it):
//
//	EVALUATE ROW("n", COUNTROWS('T'))   (or COUNTROWS(T))  → [{"[n]": count}]
//	EVALUATE TOPN(n, 'T')                                → the first n rows stored
//	EVALUATE 'T'  /  EVALUATE VALUES('T')                → all rows (VALUES de-duplicated)
//
// Anything else answers 400 DatasetExecuteQueriesError with a DetailsMessage.
func (c *call) executeQueries() {
	// The documented 120 queries per minute per user, on the sandbox clock.
	// Every query that reaches this point counts, whatever its DAX (our
	// choice; UNCONFIRMED how the service counts).
	if wait := c.s.tenant.queryWait(c.claims.ObjectID, c.s.cfg.Clock.Now(), c.s.cfg.Clock.Real(time.Minute)); wait > 0 {
		tooManyRequests(c.w, wait, fmt.Sprintf("You have exceeded the amount of requests allowed in the current time frame and further requests will fail: at most %d executeQueries requests per minute per user.", queriesPerMinute))
		return
	}
	req, ok := c.decodeRequest(1<<20, "DatasetExecuteQueriesRequest", "requestMessage")
	if !ok {
		return
	}
	queries, _ := req["queries"].([]any)
	if len(queries) != 1 {
		badRequest(c.w, "requestMessage", "executeQueries takes exactly one query per request, not %d.", len(queries))
		return
	}
	q, _ := queries[0].(map[string]any)["query"].(string)
	includeNulls := false
	if ss, ok := req["serializerSettings"].(map[string]any); ok {
		includeNulls, _ = ss["includeNulls"].(bool)
	}
	rows, err := c.evaluate(q, includeNulls)
	if err != nil {
		pbiError(c.w, http.StatusBadRequest, "DatasetExecuteQueriesError", err.Error())
		return
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"results": []any{map[string]any{"tables": []any{map[string]any{"rows": rows}}}}})
}

type daxLexer struct {
	s   string
	pos int
}

func (l *daxLexer) fail(format string, args ...any) error {
	return fmt.Errorf("Query (1, %d) %s", l.pos+1, fmt.Sprintf(format, args...))
}

func (l *daxLexer) skip() {
	for l.pos < len(l.s) && unicode.IsSpace(rune(l.s[l.pos])) {
		l.pos++
	}
}

// word reads an identifier-like keyword.
func (l *daxLexer) word() string {
	l.skip()
	start := l.pos
	for l.pos < len(l.s) && (l.s[l.pos] == '_' || unicode.IsLetter(rune(l.s[l.pos])) || unicode.IsDigit(rune(l.s[l.pos]))) {
		l.pos++
	}
	return l.s[start:l.pos]
}

func (l *daxLexer) punct(ch byte) error {
	l.skip()
	if l.pos >= len(l.s) || l.s[l.pos] != ch {
		return l.fail("'%c' was expected.", ch)
	}
	l.pos++
	return nil
}

func (l *daxLexer) peek(ch byte) bool {
	l.skip()
	return l.pos < len(l.s) && l.s[l.pos] == ch
}

// tableRef reads 'Quoted Name' (” escapes a quote) or a bare name.
func (l *daxLexer) tableRef() (string, error) {
	l.skip()
	if l.peek('\'') {
		l.pos++
		var b strings.Builder
		for l.pos < len(l.s) {
			if l.s[l.pos] == '\'' {
				if l.pos+1 < len(l.s) && l.s[l.pos+1] == '\'' {
					b.WriteByte('\'')
					l.pos += 2
					continue
				}
				l.pos++
				return b.String(), nil
			}
			b.WriteByte(l.s[l.pos])
			l.pos++
		}
		return "", l.fail("The table name is not closed with '.")
	}
	if w := l.word(); w != "" {
		return w, nil
	}
	return "", l.fail("A table name was expected.")
}

func (c *call) evaluate(q string, includeNulls bool) ([]map[string]any, error) {
	l := &daxLexer{s: strings.TrimSpace(q)}
	if !strings.EqualFold(l.word(), "EVALUATE") {
		return nil, l.fail("The query must start with EVALUATE; the sandbox supports EVALUATE ROW(\"n\", COUNTROWS('T')), EVALUATE TOPN(n, 'T'), EVALUATE 'T' and EVALUATE VALUES('T').")
	}
	save := l.pos
	fn := strings.ToUpper(l.word())
	var rows []map[string]any
	var err error
	switch {
	case fn == "ROW" && l.peek('('):
		rows, err = c.evalRowCount(l, includeNulls)
	case fn == "TOPN" && l.peek('('):
		rows, err = c.evalTopN(l, includeNulls)
	case fn == "VALUES" && l.peek('('):
		_ = l.punct('(')
		var name string
		if name, err = l.tableRef(); err == nil {
			if err = l.punct(')'); err == nil {
				rows, err = c.tableRows(l, name, maxQueryRows, includeNulls, true)
			}
		}
	default:
		l.pos = save
		var name string
		if name, err = l.tableRef(); err == nil {
			rows, err = c.tableRows(l, name, maxQueryRows, includeNulls, false)
		}
	}
	if err != nil {
		return nil, err
	}
	l.skip()
	if l.pos < len(l.s) {
		return nil, l.fail("Unexpected text %q: the sandbox supports one EVALUATE of ROW(\"n\", COUNTROWS('T')), TOPN(n, 'T'), 'T' or VALUES('T').", l.s[l.pos:])
	}
	return rows, nil
}

func (c *call) evalRowCount(l *daxLexer, includeNulls bool) ([]map[string]any, error) {
	if err := l.punct('('); err != nil {
		return nil, err
	}
	if err := l.punct('"'); err != nil {
		return nil, err
	}
	end := strings.IndexByte(l.s[l.pos:], '"')
	if end < 0 {
		return nil, l.fail("The column name is not closed with \".")
	}
	col := l.s[l.pos : l.pos+end]
	l.pos += end + 1
	if err := l.punct(','); err != nil {
		return nil, err
	}
	if fn := l.word(); !strings.EqualFold(fn, "COUNTROWS") {
		return nil, l.fail("The sandbox supports only COUNTROWS('T') inside ROW, not %q.", fn)
	}
	if err := l.punct('('); err != nil {
		return nil, err
	}
	name, err := l.tableRef()
	if err != nil {
		return nil, err
	}
	for _, ch := range []byte{')', ')'} {
		if err := l.punct(ch); err != nil {
			return nil, err
		}
	}
	c.ds.mu.Lock()
	defer c.ds.mu.Unlock()
	t := c.ds.table(name)
	if t == nil {
		return nil, l.fail("The table '%s' cannot be found.", name)
	}
	if t.Rows == 0 { // DAX COUNTROWS of an empty table is blank, omitted unless includeNulls
		if includeNulls {
			return []map[string]any{{"[" + col + "]": nil}}, nil
		}
		return []map[string]any{{}}, nil
	}
	return []map[string]any{{"[" + col + "]": t.Rows}}, nil
}

func (c *call) evalTopN(l *daxLexer, includeNulls bool) ([]map[string]any, error) {
	if err := l.punct('('); err != nil {
		return nil, err
	}
	l.skip()
	start := l.pos
	for l.pos < len(l.s) && l.s[l.pos] >= '0' && l.s[l.pos] <= '9' {
		l.pos++
	}
	n, err := strconv.Atoi(l.s[start:l.pos])
	if err != nil || n < 0 {
		return nil, l.fail("TOPN needs a whole number of rows first.")
	}
	if err := l.punct(','); err != nil {
		return nil, err
	}
	name, err := l.tableRef()
	if err != nil {
		return nil, err
	}
	if err := l.punct(')'); err != nil {
		return nil, err
	}
	return c.tableRows(l, name, min(n, maxQueryRows), includeNulls, false)
}

func (c *call) tableRows(l *daxLexer, name string, limit int, includeNulls, distinct bool) ([]map[string]any, error) {
	c.ds.mu.Lock()
	defer c.ds.mu.Unlock()
	t := c.ds.table(name)
	if t == nil {
		return nil, l.fail("The table '%s' cannot be found.", name)
	}
	t.fill()
	rows := []map[string]any{}
	seen := map[string]bool{}
	var key []byte
	for i := 0; i < t.Rows && len(rows) < limit; i++ {
		if distinct {
			key = appendRowJSON(key[:0], t.Columns, i)
			if seen[string(key)] {
				continue
			}
			seen[string(key)] = true
		}
		row := make(map[string]any, len(t.Columns))
		for _, col := range t.Columns {
			k := t.Name + "[" + col.Name + "]"
			if col.nulls[i] {
				if includeNulls {
					row[k] = nil
				}
				continue
			}
			row[k] = json.RawMessage(appendValue(nil, col, i))
		}
		rows = append(rows, row)
	}
	return rows, nil
}
