package pbi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/token"
)

// pushCreationLastDay is the last day push datasets can be created
// (docs/sources.md, Power BI: creating a push dataset): from the next day on,
// POST datasets is refused, while existing push datasets keep working.
const pushCreationLastDay = "2027-10-31"

// queriesPerMinute is the documented executeQueries limit per user
// (docs/sources.md, Power BI: executeQueries).
const queriesPerMinute = 120

// tenant holds the emulated tenant's settings (GET and POST /_sandbox/tenant)
// and the executeQueries windows. The zero value is not the default: use
// newTenant.
type tenant struct {
	mu                   sync.Mutex
	executeQueries       bool     // "Dataset Execute Queries REST API"
	servicePrincipalAPIs bool     // "Service principals can use Fabric APIs"
	today                string   // YYYY-MM-DD; "" is the real date on the sandbox clock
	queries              queryLog // executeQueries calls of the last minute, per identity
}

// queryLog is each identity's executeQueries calls, oldest first.
type queryLog map[string][]time.Time

// tenantJSON is the body of GET /_sandbox/tenant and of its POST's answer.
type tenantJSON struct {
	ExecuteQueries       bool   `json:"executeQueries"`
	ServicePrincipalAPIs bool   `json:"servicePrincipalApis"`
	Today                string `json:"today"`
}

// reset restores the defaults: both settings on, today the real date, no
// queries counted.
func (t *tenant) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.executeQueries, t.servicePrincipalAPIs, t.today, t.queries = true, true, "", queryLog{}
}

func (t *tenant) settings(now time.Time) tenantJSON {
	t.mu.Lock()
	defer t.mu.Unlock()
	today := t.today
	if today == "" {
		today = now.UTC().Format(time.DateOnly)
	}
	return tenantJSON{ExecuteQueries: t.executeQueries, ServicePrincipalAPIs: t.servicePrincipalAPIs, Today: today}
}

// creationEnded reports whether today is past pushCreationLastDay.
func (t *tenant) creationEnded(now time.Time) bool {
	return t.settings(now).Today > pushCreationLastDay // YYYY-MM-DD compares as text
}

func (t *tenant) allows() (servicePrincipalAPIs, executeQueries bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.servicePrincipalAPIs, t.executeQueries
}

// queryWait records an executeQueries call of identity id at now and returns
// 0, or, when the identity has made queriesPerMinute calls in the sliding
// minute (minute long in real time), records nothing and returns how long
// until the oldest leaves it.
func (t *tenant) queryWait(id string, now time.Time, minute time.Duration) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	calls := t.queries[id]
	i := 0
	for i < len(calls) && !calls[i].After(now.Add(-minute)) {
		i++
	}
	calls = calls[i:]
	if len(calls) >= queriesPerMinute {
		t.queries[id] = calls
		return calls[len(calls)-queriesPerMinute].Add(minute).Sub(now)
	}
	t.queries[id] = append(calls, now)
	return 0
}

// checkTenant applies the tenant settings to a request with valid claims: an
// app-only token while service principals may not use the APIs, or
// executeQueries while it is off, answers 401 PowerBINotAuthorizedException
// with no detail, as the service does (docs/sources.md, Power BI: errors).
func (s *Server) checkTenant(w http.ResponseWriter, c token.Claims, rt route) bool {
	spAPIs, queries := s.tenant.allows()
	if c.IsApp() && !spAPIs {
		notAuthorized(w, "", "")
		return false
	}
	if rt.query && !queries {
		notAuthorized(w, "", "")
		return false
	}
	return true
}

// serveTenant answers GET and POST /_sandbox/tenant. A POST changes the
// settings it names and keeps the others; a key that is unknown or of the
// wrong type is a 400 naming it, and then nothing changes.
func (s *Server) serveTenant(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		var body map[string]json.RawMessage
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
		if err := dec.Decode(&body); err != nil || body == nil || dec.More() {
			codeError(w, http.StatusBadRequest, "BadRequest", `tenant: the body must be one JSON object such as {"executeQueries": false, "servicePrincipalApis": true, "today": "2027-11-01"}`)
			return
		}
		var set []func(*tenant)
		keys := make([]string, 0, len(body))
		for k := range body {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			f, err := tenantSetting(k, body[k])
			if err != nil {
				codeError(w, http.StatusBadRequest, "BadRequest", "tenant: %v", err)
				return
			}
			set = append(set, f)
		}
		s.tenant.mu.Lock()
		for _, f := range set {
			f(&s.tenant)
		}
		s.tenant.mu.Unlock()
	default:
		codeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET or POST")
		return
	}
	writeJSON(w, http.StatusOK, s.tenant.settings(s.cfg.Clock.Now()))
}

// tenantSetting parses one key of a POST /_sandbox/tenant body.
func tenantSetting(key string, v json.RawMessage) (func(*tenant), error) {
	switch key {
	case "executeQueries", "servicePrincipalApis":
		var on bool
		if err := json.Unmarshal(v, &on); err != nil || string(v) == "null" {
			return nil, fmt.Errorf("%s must be true or false, not %s", key, v)
		}
		if key == "executeQueries" {
			return func(t *tenant) { t.executeQueries = on }, nil
		}
		return func(t *tenant) { t.servicePrincipalAPIs = on }, nil
	case "today":
		var day string
		if err := json.Unmarshal(v, &day); err == nil {
			if d, err := time.Parse(time.DateOnly, day); err == nil && d.Format(time.DateOnly) == day {
				return func(t *tenant) { t.today = day }, nil
			}
		}
		return nil, fmt.Errorf("today must be a date as \"YYYY-MM-DD\", not %s", v)
	}
	return nil, fmt.Errorf("unknown key %q: the keys are executeQueries, servicePrincipalApis and today", key)
}
