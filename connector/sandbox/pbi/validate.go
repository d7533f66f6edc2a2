package pbi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
)

// swagger_subset.json is derived from Microsoft's swagger by gen_swagger.go:
// the request-body definitions and the list of operations (with their
// x-ms-examples request bodies, used by the contract test).
//
//go:generate go run gen_swagger.go testdata/powerbi-swagger.json.gz > swagger_subset.json
//go:embed swagger_subset.json
var swaggerSubsetJSON []byte

type swaggerProp struct {
	Type      string `json:"type"`
	Ref       string `json:"ref"`
	ItemsType string `json:"itemsType"`
	ItemsRef  string `json:"itemsRef"`
}

type swaggerDef struct {
	Required   []string               `json:"required"`
	Properties map[string]swaggerProp `json:"properties"`
}

type swaggerOp struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	OperationID string `json:"operationId"`
	BodyParam   string `json:"bodyParam"`
	BodyType    string `json:"bodyType"`
	Examples    []struct {
		Name string          `json:"name"`
		Body json.RawMessage `json:"body"`
	} `json:"examples"`
}

type swaggerSubset struct {
	Definitions map[string]swaggerDef `json:"definitions"`
	Operations  []swaggerOp           `json:"operations"`
}

var swagger = func() swaggerSubset {
	var s swaggerSubset
	if err := json.Unmarshal(swaggerSubsetJSON, &s); err != nil {
		panic("pbi: embedded swagger_subset.json is invalid: " + err.Error()) // a build defect, caught by every test
	}
	return s
}()

// serviceTypeName is the .NET type the service names in its messages; the
// verbatim sample names Dataset for the CreateDatasetRequest body.
func serviceTypeName(def string) string {
	if def == "CreateDatasetRequest" {
		def = "Dataset"
	}
	return "Microsoft.PowerBI.ServiceContracts.Api." + def
}

// decodeBody parses a JSON body (numbers kept exact) and validates it against
// the swagger definition def: unknown properties (property names are
// case-sensitive, as the service treats them), missing required properties
// and JSON types. Problems are returned as BadRequest details for target.
// decodeRequest reads the request body (at most limit bytes) and checks it
// against the swagger definition def; on a problem it has answered 400 and
// returns false. The object is nil when the body is valid but not an object.
func (c *call) decodeRequest(limit int64, def, target string) (map[string]any, bool) {
	body, ok := c.readBody(limit)
	if !ok {
		return nil, false
	}
	v, details := decodeBody(body, def, target)
	if len(details) > 0 {
		badRequestDetails(c.w, details)
		return nil, false
	}
	m, _ := v.(map[string]any)
	return m, true
}

func decodeBody(body []byte, def, target string) (any, []errDetail) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, []errDetail{{Message: fmt.Sprintf("The request body is not valid JSON: %v.", err), Target: target}}
	}
	if dec.More() {
		return nil, []errDetail{{Message: "The request body has data after the JSON value.", Target: target}}
	}
	var out []errDetail
	validateValue(v, swaggerProp{Ref: def}, target, &out)
	return v, out
}

const maxDetails = 20

func validateValue(v any, p swaggerProp, path string, out *[]errDetail) {
	if len(*out) >= maxDetails || v == nil {
		return
	}
	add := func(format string, args ...any) {
		*out = append(*out, errDetail{Message: fmt.Sprintf(format, args...), Target: path})
	}
	if p.Ref != "" {
		def, ok := swagger.Definitions[p.Ref]
		if !ok { // enums and other refs without properties: a string
			if _, isStr := v.(string); !isStr {
				add("The value at '%s' must be a string (%s).", path, p.Ref)
			}
			return
		}
		obj, ok := v.(map[string]any)
		if !ok {
			add("The value at '%s' must be a JSON object of type '%s', not %s.", path, serviceTypeName(p.Ref), jsonKind(v))
			return
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, known := def.Properties[k]; !known {
				add("The property '%s' does not exist on type '%s'. Make sure to only use property names that are defined by the type.", k, serviceTypeName(p.Ref))
			}
		}
		for _, k := range def.Required {
			if val, has := obj[k]; !has || val == nil {
				add("The property '%s' is required on type '%s' but is missing.", k, serviceTypeName(p.Ref))
			}
		}
		for _, k := range keys {
			if prop, known := def.Properties[k]; known {
				validateValue(obj[k], prop, path+"."+k, out)
			}
		}
		return
	}
	switch p.Type {
	case "array":
		arr, ok := v.([]any)
		if !ok {
			add("The value at '%s' must be a JSON array, not %s.", path, jsonKind(v))
			return
		}
		for i, item := range arr {
			if item == nil {
				add("The value at '%s[%d]' must not be null.", path, i)
				continue
			}
			validateValue(item, swaggerProp{Type: p.ItemsType, Ref: p.ItemsRef}, fmt.Sprintf("%s[%d]", path, i), out)
		}
	case "string":
		if _, ok := v.(string); !ok {
			add("The value at '%s' must be a JSON string, not %s.", path, jsonKind(v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			add("The value at '%s' must be true or false, not %s.", path, jsonKind(v))
		}
	case "integer", "number":
		if _, ok := v.(json.Number); !ok {
			add("The value at '%s' must be a JSON number, not %s.", path, jsonKind(v))
		}
	case "object":
		if _, ok := v.(map[string]any); !ok {
			add("The value at '%s' must be a JSON object, not %s.", path, jsonKind(v))
		}
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
