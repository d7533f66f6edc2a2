package pbi

import (
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// TestMalformedRequests: nothing a client sends makes the emulator panic or
// answer 500; bad input is a 4xx that says what is wrong.
func TestMalformedRequests(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	id := e.createDataset(t, sales, "", mixedTable)
	rows := rowsPath(sales, id, "Sales")
	bodies := []string{"", "null", "[]", "{", "}", `{"rows":null}`, `{"rows":[1]}`, `{"rows":[{"OrderID":}]}`, `{"rows":[{"OrderID":01}]}`,
		`{"rows":[{"OrderID":1e}]}`, `{"rows":[{"Customer":"\u12"}]}`, `{"rows":[{"Customer":"\q"}]}`, `{"rows":[{"Customer":"` + "\x01" + `"}]}`,
		`{"rows":[{"Paid":tru}]}`, `{"rows":[]} x`, `{"rows":[{"Customer":"\ud83d\ude00"}]}`, "\xff\xfe", `{"rows":[{"OrderID":-}]}`, `{"rows":[{"OrderID":1.}]}`,
		`{"name":1,"tables":[{"name":"T","columns":[{"name":"a","dataType":"Int64"}]}]}`, `{"tables":[null]}`, `{"tables":[{"columns":[null]}]}`, `{"name":"x","tables":[{"name":"T","columns":[null]}]}`, `{"name":"x","tables":[{"name":"T","columns":[{"name":"a","dataType":"Int64"}],"measures":[null]}],"relationships":[null]}`, `{"name":"x","tables":[{"name":"T","columns":"a"}]}`,
		`{"name":"x","tables":[{"name":"T","columns":[{"name":"a","dataType":"Int64"}]}],"relationships":[{"name":"r","fromTable":"T","fromColumn":"a","toTable":"U","toColumn":"b"}]}`,
		`{"queries":[{"query":1}]}`, `{"queries":[null]}`, `{"queries":[{"query":"EVALUATE ROW(\""}]}`, `{"queries":[{"query":"EVALUATE TOPN("}]}`, `{"queries":[{"query":"EVALUATE '"}]}`,
	}
	paths := []struct{ method, path string }{
		{"POST", rows}, {"POST", "/v1.0/myorg/groups/" + sales + "/datasets"}, {"PUT", "/v1.0/myorg/groups/" + sales + "/datasets/" + id + "/tables/Sales"},
		{"POST", "/v1.0/myorg/groups/" + sales + "/datasets/" + id + "/executeQueries"},
	}
	for _, p := range paths {
		for _, b := range bodies {
			r := e.do(p.method, p.path, b, e.user)
			if r.status >= 500 || r.status < 0 {
				t.Errorf("%s %s %q: %v", p.method, p.path, b, r)
			}
		}
	}
	for _, p := range []string{"/v1.0/myorg/nope", "/v1.0/myorg/groups/x/y/z", "/v1.0/myorg/datasets/%2F..%2F"} {
		if r := e.do("GET", p, nil, e.user); r.status != 404 && r.status != 400 {
			t.Errorf("GET %s: %v", p, r)
		}
	}
	r := e.must(t, 405, e.do("PATCH", "/v1.0/myorg/groups", nil, e.user))
	if !strings.Contains(string(r.body), "not supported") {
		t.Errorf("405: %s", r.body)
	}
}

func FuzzRowParser(f *testing.F) {
	f.Add([]byte(`{"rows":[{"OrderID":1,"Customer":"a","Paid":true,"OrderedAt":"2026-01-01","Price":1.5}]}`))
	f.Add([]byte(`[{"Amount":-1e10,"Note":null}]`))
	cols := []*column{{Name: "OrderID", DataType: typeInt64}, {Name: "Customer", DataType: typeString}, {Name: "Amount", DataType: typeDouble},
		{Name: "Price", DataType: typeDecimal}, {Name: "Paid", DataType: typeBoolean}, {Name: "OrderedAt", DataType: typeDatetime}, {Name: "Note", DataType: typeString}}
	f.Fuzz(func(t *testing.T, body []byte) {
		p := newRowParser(body, cols, schema.DocumentedLimits())
		if p.parse() == nil {
			for _, c := range p.cols { // every column holds one value per row
				if len(c.nulls) != p.n {
					t.Fatalf("column %s has %d values for %d rows", c.Name, len(c.nulls), p.n)
				}
			}
		}
	})
}
