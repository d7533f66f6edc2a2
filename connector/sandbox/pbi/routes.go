package pbi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/token"
)

// route is one served operation, at its swagger method and path template.
type route struct {
	method, path, operationID string
	scopes                    []string
	write                     bool // refused in a read-only workspace
	push                      bool // push datasets only (ItemNotFound otherwise)
	query                     bool // executeQueries: its tenant setting and its limit per user
	postRows                  bool // POST rows: pending from arrival to answer
	handle                    func(*call)
}

// call is a request resolved to its identity, workspace, dataset and table.
type call struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	claims token.Claims
	st     *store
	ws     *workspace // nil for GET /groups
	ds     *dataset
	table  string
}

const myorg = "/v1.0/myorg"

func (s *Server) routeTable() []route {
	var rs []route
	rs = append(rs,
		route{method: "GET", path: myorg + "/groups", operationID: "Groups_GetGroups", scopes: scopeWorkspaceRead, handle: (*call).getGroups},
		route{method: "GET", path: myorg + "/groups/{groupId}", operationID: "Groups_GetGroup", scopes: scopeWorkspaceRead, handle: (*call).getGroup},
	)
	// Every dataset operation exists for My workspace and for a workspace.
	for _, in := range []struct{ prefix, suffix string }{{myorg, ""}, {myorg + "/groups/{groupId}", "InGroup"}} {
		p := in.prefix + "/datasets"
		rs = append(rs,
			route{method: "GET", path: p, operationID: "Datasets_GetDatasets" + in.suffix, scopes: scopeDatasetRead, handle: (*call).getDatasets},
			route{method: "POST", path: p, operationID: "Datasets_PostDataset" + in.suffix, scopes: scopeDatasetWrite, write: true, handle: (*call).postDataset},
			route{method: "GET", path: p + "/{datasetId}", operationID: "Datasets_GetDataset" + in.suffix, scopes: scopeDatasetRead, handle: (*call).getDataset},
			route{method: "DELETE", path: p + "/{datasetId}", operationID: "Datasets_DeleteDataset" + in.suffix, scopes: scopeDatasetWrite, write: true, handle: (*call).deleteDataset},
			route{method: "GET", path: p + "/{datasetId}/tables", operationID: "Datasets_GetTables" + in.suffix, scopes: scopeDatasetRead, push: true, handle: (*call).getTables},
			route{method: "PUT", path: p + "/{datasetId}/tables/{tableName}", operationID: "Datasets_PutTable" + in.suffix, scopes: scopeDatasetWrite, write: true, push: true, handle: (*call).putTable},
			route{method: "POST", path: p + "/{datasetId}/tables/{tableName}/rows", operationID: "Datasets_PostRows" + in.suffix, scopes: scopeDatasetWrite, write: true, push: true, postRows: true, handle: (*call).postRows},
			route{method: "DELETE", path: p + "/{datasetId}/tables/{tableName}/rows", operationID: "Datasets_DeleteRows" + in.suffix, scopes: scopeDatasetWrite, write: true, push: true, handle: (*call).deleteRows},
			route{method: "POST", path: p + "/{datasetId}/executeQueries", operationID: "Datasets_ExecuteQueries" + in.suffix, scopes: scopeDatasetRead, query: true, handle: (*call).executeQueries},
		)
	}
	return rs
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) { s.serveRoute(rt, w, r) })
	}
	return mux
}

// serveRoute authenticates, checks scopes, resolves the workspace, dataset
// and table, applies injected faults, then runs the operation.
func (s *Server) serveRoute(rt route, w http.ResponseWriter, r *http.Request) {
	claims, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if !requireScope(w, claims, rt.operationID, rt.scopes) {
		return
	}
	if !s.checkTenant(w, claims, rt) {
		return
	}
	c := &call{s: s, w: w, r: r, claims: claims, st: s.store(), table: r.PathValue("tableName")}
	if strings.Contains(rt.path, "/datasets") || strings.Contains(rt.path, "{groupId}") {
		if !c.resolve(rt) {
			return
		}
	}
	if rt.postRows {
		// Pending from its arrival to its answer, the injected latency
		// included (docs/limits.md: 5 pending POST rows requests per
		// dataset). The wait depends on other requests finishing, not on a
		// window: Retry-After 1 is our choice (UNCONFIRMED what the service
		// says).
		most := s.limits.MaxPendingPosts
		if !c.ds.acquire(most) {
			c.ds.count(func(k *counters) { k.PostRowsThrottled++ })
			tooManyRequests(w, time.Second, fmt.Sprintf("This dataset already has %d pending POST rows requests; Power BI allows at most %d at a time. Wait for one to finish.", most, most))
			return
		}
		defer c.ds.release()
	}
	if dw, ok := w.(*delayedWriter); ok && !dw.hold() {
		return // the client went away during the latency: nothing is done
	}
	if !s.fault.apply(c, rt) {
		return
	}
	rt.handle(c)
}

func (c *call) resolve(rt route) bool {
	c.st.mu.RLock()
	defer c.st.mu.RUnlock()
	if gid := c.r.PathValue("groupId"); gid != "" || strings.Contains(rt.path, "{groupId}") {
		ws := c.st.workspace(gid)
		if ws == nil {
			// Microsoft's troubleshooting page (docs/sources.md, Power BI: errors): a wrong group ID answers like an unauthorized one.
			notAuthorized(c.w, "GroupNotAccessible", fmt.Sprintf("Workspace %s does not exist or is not accessible: check the workspace ID (pbiwb groups lists the ones you can use).", gid))
			return false
		}
		c.ws = ws
	} else {
		c.ws = c.st.my
	}
	if !canAccess(c.w, c.claims, c.ws) {
		return false
	}
	if rt.write && !canWrite(c.w, c.ws) {
		return false
	}
	if id := c.r.PathValue("datasetId"); id != "" {
		d := c.st.datasets[strings.ToLower(id)]
		if d == nil || d.workspace != c.ws {
			entityNotFound(c.w, fmt.Sprintf("Dataset %s was not found in %s.", id, c.ws.label()))
			return false
		}
		if rt.push && !d.Push {
			codeError(c.w, http.StatusNotFound, "ItemNotFound", "Dataset %s is not Push API dataset.", d.ID)
			return false
		}
		c.ds = d
	}
	return true
}

func (ws *workspace) label() string {
	if ws.ID == "" {
		return "My workspace"
	}
	return fmt.Sprintf("workspace %q", ws.Name)
}
