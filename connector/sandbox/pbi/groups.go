package pbi

import (
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"net/http"
	"strconv"
)

// groupJSON is a workspace as GET /groups lists it (captured real shape).
type groupJSON struct {
	ID                    string `json:"id"`
	IsReadOnly            bool   `json:"isReadOnly"`
	IsOnDedicatedCapacity bool   `json:"isOnDedicatedCapacity"`
	Type                  string `json:"type"`
	Name                  string `json:"name"`
}

func toGroupJSON(w *workspace) groupJSON {
	return groupJSON{ID: w.ID, IsReadOnly: w.ReadOnly, Type: "Workspace", Name: w.Name}
}

func (c *call) context(entity string) string {
	return "https://" + c.r.Host + "/v1.0/myorg/$metadata#" + entity
}

// getGroups lists the workspaces the identity is a member of, filtered by
// $filter, then paged by $skip and $top. @odata.count is the number of items
// returned (UNCONFIRMED: captures only show unpaged lists, where both agree).
func (c *call) getGroups() {
	q := c.r.URL.Query()
	var f filterExpr
	if raw := q.Get("$filter"); raw != "" {
		var err error
		if f, err = parseFilter(raw); err != nil {
			badRequest(c.w, "$filter", "Invalid $filter %q: %v. Supported: name/id eq|ne 'text', isReadOnly eq true|false, contains|startswith|endswith(name,'text'), combined with and, or, not and parentheses.", raw, err)
			return
		}
	}
	top, skip := -1, 0
	for _, p := range []struct {
		name string
		dst  *int
	}{{"$top", &top}, {"$skip", &skip}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				badRequest(c.w, p.name, "The query parameter %s must be a non-negative integer, not %q.", p.name, v)
				return
			}
			*p.dst = n
		}
	}
	c.st.mu.RLock()
	list := []groupJSON{}
	for _, w := range c.st.workspaces {
		if w.Members[demo.WorkspaceMember(c.claims.ObjectID)] && (f == nil || f(w)) {
			list = append(list, toGroupJSON(w))
		}
	}
	c.st.mu.RUnlock()
	list = list[min(skip, len(list)):]
	if top >= 0 && top < len(list) {
		list = list[:top]
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"@odata.context": c.context("groups"), "@odata.count": len(list), "value": list})
}

func (c *call) getGroup() {
	g := toGroupJSON(c.ws)
	writeJSON(c.w, http.StatusOK, struct {
		Context string `json:"@odata.context"`
		groupJSON
	}{c.context("groups/$entity"), g})
}
