package source

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// The demo DataSet through the real Domo client and a real sandbox: schema
// from the metadata, rows from the export, read once, encoded twice over.
func TestDomoSourceFromSandbox(t *testing.T) {
	_, ep := sandboxtest.Start(t, sandbox.Options{})
	ctx := context.Background()
	api := &countingDomo{DomoAPI: domo.New(ep, demo.DomoClientID, demo.DomoClientSecret)}
	src, err := Domo(ctx, api, demo.DomoDataSetID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Scan(ctx, src, Options{Limits: schema.DocumentedLimits(), Table: "Sales Orders", TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Rows == 0 || len(p.Columns) != len(src.Declared) {
		t.Fatalf("%d rows, columns %v, declared %v", p.Rows, p.Columns, src.Declared)
	}
	for i, c := range p.Columns {
		if c != src.Declared[i] || p.Inferred[i] {
			t.Errorf("column %d is %v (inferred %v), declared %v", i+1, c, p.Inferred[i], src.Declared[i])
		}
	}
	_, rows := collect(t, p, 0)
	if len(rows) != p.Rows {
		t.Fatalf("%d rows encoded, %d scanned", len(rows), p.Rows)
	}
	if api.exports != 1 {
		t.Fatalf("exported %d times; the second pass should read the copy", api.exports)
	}
}

type countingDomo struct {
	DomoAPI
	exports int
}

func (c *countingDomo) Export(ctx context.Context, id string) (io.ReadCloser, error) {
	c.exports++
	return c.DomoAPI.Export(ctx, id)
}

// fakeDomo serves a fixed DataSet, for what the sandbox's demo does not hold.
type fakeDomo struct {
	ds  domo.DataSet
	csv string
	err error
}

func (f fakeDomo) DataSet(context.Context, string) (domo.DataSet, error) { return f.ds, f.err }
func (f fakeDomo) Export(context.Context, string) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(f.csv)), nil
}

func TestDomoSourceFindings(t *testing.T) {
	ds := domo.DataSet{ID: "x", Schema: []domo.Column{{Name: "id", Type: "LONG"}, {Name: "amount", Type: "DECIMAL"}, {Name: "when", Type: "DATE"}}}
	tests := []struct {
		name         string
		csv          string
		rule         schema.Rule
		line, column int
		msg          string
	}{
		{"bad long", "id,amount,when\n1,2.5,2024-01-01\nx,2.5,2024-01-01\n", schema.RuleType, 3, 1, `"x" is not a valid Int64`},
		{"decimal scale", "id,amount,when\n1,2.12345,2024-01-01\n", schema.RuleType, 2, 2, "4 decimal places"},
		{"bad date", "id,amount,when\n1,2,2024-02-30\n", schema.RuleType, 2, 3, "not a valid Datetime"},
		{"header differs", "id,amount,date\n1,2,2024-01-01\n", schema.RuleSchemaMismatch, 1, 0, "declares this column"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := Domo(context.Background(), fakeDomo{ds: ds, csv: tt.csv}, "x")
			if err != nil {
				t.Fatal(err)
			}
			p, err := Scan(context.Background(), src, Options{Limits: schema.DocumentedLimits(), TempDir: t.TempDir()})
			if p != nil {
				p.Close()
			}
			var ve *schema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v", err)
			}
			f := ve.Findings[0]
			if f.File != "domo:x" || f.Rule != tt.rule || f.Line != tt.line || f.Column != tt.column || !strings.Contains(f.Message, tt.msg) {
				t.Fatalf("finding %+v", f)
			}
		})
	}
}

func TestDomoSourceErrors(t *testing.T) {
	if _, err := Domo(context.Background(), fakeDomo{err: errors.New("403: not yours")}, "x"); err == nil || !strings.Contains(err.Error(), "not yours") {
		t.Fatalf("err = %v", err)
	}
	ds := domo.DataSet{Schema: []domo.Column{{Name: "a", Type: "BLOB"}}}
	if _, err := Domo(context.Background(), fakeDomo{ds: ds}, "x"); err == nil || !strings.Contains(err.Error(), `column "a"`) {
		t.Fatalf("err = %v", err)
	}
}
