package pbi

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// mixedTable has 10 columns of every type.
var mixedTable = map[string]any{"name": "Sales", "columns": []any{
	map[string]any{"name": "OrderID", "dataType": "Int64"}, map[string]any{"name": "Customer", "dataType": "String"},
	map[string]any{"name": "Amount", "dataType": "Double"}, map[string]any{"name": "Price", "dataType": "Decimal"},
	map[string]any{"name": "Paid", "dataType": "Boolean"}, map[string]any{"name": "OrderedAt", "dataType": "DateTime"},
	map[string]any{"name": "Quantity", "dataType": "Int64"}, map[string]any{"name": "Region", "dataType": "String"},
	map[string]any{"name": "Discount", "dataType": "Double"}, map[string]any{"name": "Note", "dataType": "String"},
}}

func mixedRows(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"rows":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"OrderID":%d,"Customer":"Customer %d","Amount":%d.25,"Price":%d.1234,"Paid":%t,"OrderedAt":"2026-01-%02dT10:%02d:00.000Z","Quantity":%d,"Region":"EMEA","Discount":0.05,"Note":null}`,
			i, i%977, i, i%500, i%2 == 0, i%28+1, i%60, i%13)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// BenchmarkIngest posts 10,000-row batches of 10 mixed columns through the
// real HTTPS handler and reports rows/s. The time scale is large so the
// hourly quota does not interfere; FIFO keeps memory bounded.
func BenchmarkIngest(b *testing.B) {
	e := newEnv(b, 1e9, schema.Limits{}, "")
	id := e.createDataset(b, sales, "basicFIFO", mixedTable)
	p := rowsPath(sales, id, "Sales")
	body := mixedRows(10_000)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.fake.Advance(1) // a new instant per POST
		if r := e.do("POST", p, body, e.user); r.status != 200 {
			b.Fatalf("POST: %v", r)
		}
	}
	b.ReportMetric(float64(b.N*10_000)/b.Elapsed().Seconds(), "rows/s")
}

// TestConcurrentClients: many clients on several datasets at once; every
// accepted row is stored once and nothing races.
func TestConcurrentClients(t *testing.T) {
	e := newEnv(t, 1e6, schema.Limits{}, "")
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, e.createDataset(t, sales, "", mixedTable))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := map[string]int{}
	body := mixedRows(200)
	for c := 0; c < 12; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := ids[c%len(ids)]
			for i := 0; i < 10; i++ {
				r := e.do("POST", rowsPath(sales, id, "Sales"), body, e.user)
				switch r.status {
				case 200:
					mu.Lock()
					accepted[id] += 200
					mu.Unlock()
				case 429: // the 5-pending rule
				default:
					t.Errorf("POST: %v", r)
				}
				if c%4 == 0 {
					e.do("GET", "/_sandbox/state", nil, "")
				}
			}
		}()
	}
	wg.Wait()
	st := string(e.do("GET", "/_sandbox/state", nil, "").body)
	for _, id := range ids {
		want := fmt.Sprintf(`"id":"%s","name":"DS","defaultRetentionPolicy":"None","defaultMode":"Push","addRowsAPIEnabled":true,"tables":[{"name":"Sales","rowCount":%d,`, id, accepted[id])
		if !bytes.Contains([]byte(st), []byte(want)) {
			t.Errorf("dataset %s: want rowCount %d in %s", id, accepted[id], st)
		}
	}
}
