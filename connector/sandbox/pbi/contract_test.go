package pbi

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// TestContractRoutesInSwagger checks every served route against Microsoft's
// swagger: same method, same path template, same operationId.
func TestContractRoutesInSwagger(t *testing.T) {
	ops := map[string]string{}
	for _, op := range swagger.Operations {
		ops[op.Method+" "+op.Path] = op.OperationID
	}
	if len(ops) < 200 {
		t.Fatalf("swagger_subset.json lists only %d operations; regenerate it", len(ops))
	}
	e := newEnv(t, 1, schema.Limits{}, "")
	for _, rt := range e.srv.routeTable() {
		got, ok := ops[rt.method+" "+rt.path]
		if !ok {
			t.Errorf("%s %s is served but not in the swagger", rt.method, rt.path)
		} else if got != rt.operationID {
			t.Errorf("%s %s: swagger operationId %s, route says %s", rt.method, rt.path, got, rt.operationID)
		}
	}
}

// TestContractSwaggerExamplesAccepted sends the request body of every
// x-ms-example of every served operation and expects it accepted.
func TestContractSwaggerExamplesAccepted(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	served := map[string]route{}
	for _, rt := range e.srv.routeTable() {
		served[rt.operationID] = rt
	}
	// Fixtures the examples refer to: the Product table of the PostDataset
	// example, and the MyTable of the executeQueries example.
	product := map[string]any{"name": "Product", "columns": []any{
		map[string]any{"name": "ProductID", "dataType": "Int64"}, map[string]any{"name": "Name", "dataType": "string"},
		map[string]any{"name": "Category", "dataType": "string"}, map[string]any{"name": "IsCompete", "dataType": "bool"},
		map[string]any{"name": "ManufacturedOn", "dataType": "DateTime"}}}
	myTable := map[string]any{"name": "MyTable", "columns": []any{map[string]any{"name": "Year", "dataType": "Int64"}, map[string]any{"name": "Quarter", "dataType": "String"}}}
	sent := 0
	for _, op := range swagger.Operations {
		rt, ok := served[op.OperationID]
		if !ok || len(op.Examples) == 0 {
			continue
		}
		for _, ex := range op.Examples {
			group := ""
			if strings.Contains(rt.path, "{groupId}") {
				group = demo.WorkspaceSalesID
			}
			path := rt.path
			path = strings.ReplaceAll(path, "{groupId}", group)
			if strings.Contains(path, "{datasetId}") {
				tbl := product
				if strings.HasPrefix(op.OperationID, "Datasets_ExecuteQueries") {
					tbl = myTable
				}
				path = strings.ReplaceAll(path, "{datasetId}", e.createDataset(t, group, "", tbl))
			}
			path = strings.ReplaceAll(path, "{tableName}", "Product")
			if op.OperationID == "Datasets_PostDatasetInGroup" || op.OperationID == "Datasets_PostDataset" {
				path += "?defaultRetentionPolicy=basicFIFO"
			}
			r := e.do(rt.method, path, json.RawMessage(ex.Body), e.user)
			if r.status/100 != 2 {
				t.Errorf("%s example %q: %v", op.OperationID, ex.Name, r)
			}
			sent++
		}
	}
	if sent < 8 {
		t.Errorf("only %d swagger examples were sent; expected PostDataset, PutTable, PostRows, ExecuteQueries in both variants", sent)
	}
}

// TestSwaggerSubsetUpToDate regenerates swagger_subset.json from Microsoft's
// swagger (testdata/powerbi-swagger.json.gz) and checks the embedded file
// matches.
func TestSwaggerSubsetUpToDate(t *testing.T) {
	const src = "testdata/powerbi-swagger.json.gz"
	if testing.Short() {
		t.Skip("compiles the generator")
	}
	out, err := exec.Command("go", "run", "gen_swagger.go", src).Output()
	if err != nil {
		t.Fatalf("gen_swagger.go: %v", err)
	}
	if strings.TrimSpace(string(out)) != strings.TrimSpace(string(swaggerSubsetJSON)) {
		t.Error("swagger_subset.json is stale: run go generate ./connector/sandbox/pbi")
	}
}
