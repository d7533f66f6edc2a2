//go:build ignore

// gen_swagger derives swagger_subset.json from Microsoft's Power BI swagger
// (PowerBI-CSharp sdk/swaggers/swagger.json, kept gzipped in
// testdata/powerbi-swagger.json.gz; see testdata/PROVENANCE.md). It keeps only what the emulator
// needs, so the package does not embed 1.5 MB:
//   - definitions: the request-body types reachable from the operations the
//     emulator serves (names, required lists, property types and $refs);
//   - operations: method, path template and operationId of every operation
//     under /v1.0/myorg, with the request body of each x-ms-example.
//
// Run: go run gen_swagger.go testdata/powerbi-swagger.json.gz > swagger_subset.json
// (a plain .json file works too).
package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type prop struct {
	Type      string `json:"type,omitempty"`
	Ref       string `json:"ref,omitempty"`
	ItemsType string `json:"itemsType,omitempty"`
	ItemsRef  string `json:"itemsRef,omitempty"`
}

type def struct {
	Required   []string        `json:"required,omitempty"`
	Properties map[string]prop `json:"properties"`
}

type example struct {
	Name string          `json:"name"`
	Body json.RawMessage `json:"body"`
}

type operation struct {
	Method      string    `json:"method"`
	Path        string    `json:"path"`
	OperationID string    `json:"operationId"`
	BodyParam   string    `json:"bodyParam,omitempty"`
	BodyType    string    `json:"bodyType,omitempty"`
	Examples    []example `json:"examples,omitempty"`
}

type rawSchema struct {
	Type       string               `json:"type"`
	Ref        string               `json:"$ref"`
	Items      *rawSchema           `json:"items"`
	Required   []string             `json:"required"`
	Properties map[string]rawSchema `json:"properties"`
	AllOf      []rawSchema          `json:"allOf"`
}

func refName(r string) string { return strings.TrimPrefix(r, "#/definitions/") }

// readSwagger reads the swagger file, gunzipping it when its name ends in .gz.
func readSwagger(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if !strings.HasSuffix(path, ".gz") {
		return io.ReadAll(f)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return io.ReadAll(zr)
}

func main() {
	b, err := readSwagger(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var sw struct {
		Paths       map[string]map[string]json.RawMessage `json:"paths"`
		Definitions map[string]rawSchema                  `json:"definitions"`
	}
	if err := json.Unmarshal(b, &sw); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	roots := []string{"CreateDatasetRequest", "Table", "PostRowsRequest", "DatasetExecuteQueriesRequest"}
	defs := map[string]def{}
	var walk func(string)
	walk = func(name string) {
		if _, ok := defs[name]; ok {
			return
		}
		raw := sw.Definitions[name]
		d := def{Required: raw.Required, Properties: map[string]prop{}}
		defs[name] = d
		props := raw.Properties
		for _, a := range raw.AllOf { // allOf parts contribute their properties
			if a.Ref != "" {
				for k, v := range sw.Definitions[refName(a.Ref)].Properties {
					props[k] = v
				}
			}
			for k, v := range a.Properties {
				props[k] = v
			}
		}
		for k, v := range props {
			p := prop{Type: v.Type, Ref: refName(v.Ref)}
			if v.Items != nil {
				p.ItemsType, p.ItemsRef = v.Items.Type, refName(v.Items.Ref)
			}
			d.Properties[k] = p
			for _, r := range []string{p.Ref, p.ItemsRef} {
				if r != "" && len(sw.Definitions[r].Properties)+len(sw.Definitions[r].AllOf) > 0 {
					walk(r)
				}
			}
		}
	}
	for _, r := range roots {
		walk(r)
	}

	var ops []operation
	for path, methods := range sw.Paths {
		if !strings.HasPrefix(path, "/v1.0/myorg/") {
			continue
		}
		for method, rawOp := range methods {
			if method == "parameters" {
				continue
			}
			var op struct {
				OperationID string `json:"operationId"`
				Parameters  []struct {
					Name   string    `json:"name"`
					In     string    `json:"in"`
					Schema rawSchema `json:"schema"`
				} `json:"parameters"`
				Examples map[string]struct {
					Parameters map[string]json.RawMessage `json:"parameters"`
				} `json:"x-ms-examples"`
			}
			if err := json.Unmarshal(rawOp, &op); err != nil {
				fmt.Fprintln(os.Stderr, path, method, err)
				os.Exit(1)
			}
			o := operation{Method: strings.ToUpper(method), Path: path, OperationID: op.OperationID}
			for _, p := range op.Parameters {
				if p.In == "body" {
					o.BodyParam, o.BodyType = p.Name, refName(p.Schema.Ref)
				}
			}
			served := strings.HasPrefix(o.OperationID, "Datasets_") || strings.HasPrefix(o.OperationID, "Groups_")
			if o.BodyParam != "" && served {
				names := make([]string, 0, len(op.Examples))
				for n := range op.Examples {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					if body, ok := op.Examples[n].Parameters[o.BodyParam]; ok {
						o.Examples = append(o.Examples, example{Name: n, Body: body})
					}
				}
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	out, _ := json.MarshalIndent(struct {
		Source      string         `json:"source"`
		Definitions map[string]def `json:"definitions"`
		Operations  []operation    `json:"operations"`
	}{"microsoft/PowerBI-CSharp sdk/swaggers/swagger.json @ 4ad33dd6 (sha256 5bb57f9c…7182), reduced by gen_swagger.go", defs, ops}, "", " ")
	fmt.Println(string(out))
}
