package pbi

// How the emulator answers, and the choices it makes where Microsoft's
// behaviour is UNCONFIRMED (docs/sandbox.md, "Where the real service is
// UNCONFIRMED"). Each choice is also noted where it is made.
//
// Routes: exactly the swagger's method and path templates (routes.go; the
// contract test checks them against swagger_subset.json, which
// gen_swagger.go derives from Microsoft's swagger): groups (list, get), and
// for My workspace and for a workspace: datasets (POST, GET list, GET,
// DELETE), tables (GET, PUT), rows (POST, DELETE), executeQueries.
//
// Order of checks on every /v1.0 request: token (403 InvalidToken with an
// empty body, or 403 TokenExpired), delegated scope of a user token (401
// naming the missing scope; header X-PowerBI-Error-Info: InsufficientScope is
// the sandbox's own), tenant settings (tenant.go: an app-only token while
// servicePrincipalApis is off, or executeQueries while it is off, answer the
// bare 401 PowerBINotAuthorizedException), workspace (401 PowerBINotAuthorizedException with
// GroupNotAccessible for an unknown or inaccessible workspace; service
// principals never in My workspace), read-only workspace for writes (401),
// dataset (404 PowerBIEntityNotFound), push-only operations on the imported
// dataset (404 ItemNotFound "Dataset <id> is not Push API dataset."),
// pending requests for POST rows, the injected latency (latency.go: every
// answer is held until it has passed since the request arrived), injected
// faults, then the operation.
//
// POST rows, in order: pending requests (a POST is pending from its arrival,
// once its dataset is known, to its answer, latency included; the 6th
// concurrent POST to a dataset answers 429 with Retry-After 1: the wait
// depends on other requests, so the value is our choice), throttleFor fault (429, Retry-After = the remaining
// fault time), body size (413 RequestEntityTooLarge over MaxBytesPerPost),
// shape and values (400 BadRequest: more than MaxRowsPerPost rows, unknown or
// duplicate column, wrong JSON type, Int64 out of range or at
// MinValue/MaxValue, Double at ±MaxValue, string over MaxStringLength
// characters, unparseable Datetime), sliding-window quotas (429
// TooManyRequests naming the limit, Retry-After = whole seconds rounded up
// and X-Sandbox-Retry-After-Ms = exact milliseconds, in real time under the
// time scale), table capacity without retention (400 when the POST would pass
// MaxRowsNoRetention), then the rows are appended all at once.
//
// UNCONFIRMED behaviours and what the sandbox does:
//   - Status of request-shape limits (rows per POST, columns, tables,
//     strings, table capacity): 400 BadRequest with a message; bytes: 413.
//   - 429 body: {"error":{"code":"TooManyRequests","message":...}}.
//   - Quota accounting: only accepted POSTs count toward rows per hour, POSTs
//     per minute and POSTs per hour; refused and throttled ones use nothing.
//   - The 120-POSTs-per-hour rule applies to a dataset once any of its tables
//     holds LargeTableRows rows.
//   - FIFO keeps exactly the newest MaxRowsFIFO rows (the service keeps
//     200,000–210,000); evictions are counted in state counters.rowsEvicted.
//   - dataType spellings: case-insensitive Int64, Double, Decimal, Boolean,
//     DateTime, String, plus the aliases bool and int; stored and returned as
//     Int64, Double, Decimal, Boolean, Datetime, String.
//   - GET tables returns name, columns (name, dataType and the optional
//     column properties that were set) and measures.
//   - PUT table keeps the rows of columns whose name and type are unchanged;
//     new columns and columns whose type changed read null; a table cannot be
//     renamed (400) or created (404 ItemNotFound with the <pi> markup).
//   - POST rows answers 200 with an empty body; a bare JSON array of rows is
//     accepted as well as {"rows":[...]}.
//   - A column missing from a row is stored as null; null is allowed for
//     every type.
//   - Datetime accepts RFC 3339 / ISO 8601 with or without zone and fraction,
//     yyyy-mm-dd, yyyy-mm-dd hh:mm:ss, and MM/dd/yyyy [hh:mm:ss]; it is stored
//     as the string sent. Decimal is stored as its JSON number text.
//   - Dataset names need not be unique; defaultMode may be Push (default) or
//     PushStreaming; AsAzure, AsOnPrem and Streaming answer 400.
//     defaultRetentionPolicy is matched case-insensitively and echoed in the
//     POST response only: GET datasets answers the swagger's Dataset, which
//     has no such field (toDatasetJSON).
//   - GET groups: @odata.count is the number of items returned after $skip
//     and $top; My workspace is never listed. $filter supports eq/ne on name
//     (exact), id and isReadOnly, contains/startswith/endswith on name
//     (case-insensitive), and, or, not, parentheses; anything else is 400.
//   - executeQueries works on push datasets, for EVALUATE ROW("n",
//     COUNTROWS('T')) / COUNTROWS(T), TOPN(n, 'T') (the first n rows stored),
//     'T' and VALUES('T'); other DAX answers 400 DatasetExecuteQueriesError.
//   - My workspace is one, shared by every user identity.
//   - Missing required body properties: "The property 'x' is required on type
//     '...' but is missing." (the real wording is unknown).
//   - Tenant settings (tenant.go): executeQueries off and service principal
//     APIs off answer 401 PowerBINotAuthorizedException with "details":[]
//     and no X-PowerBI-Error-Info, before the workspace is looked at. After
//     the tenant's today passes 2027-10-31, POST datasets answers 400
//     PushDatasetCreationNotSupported (code and status our choice).
//   - executeQueries: 120 calls per sliding minute per object ID, every call
//     that passes the checks counting, DAX errors included; 429
//     TooManyRequests with Retry-After.
//   - Seeded data (seed.go): Operations › Sensor Feed, basicFIFO, 200,000
//     rows made when first read or changed.
//
// State: with Config.StateDir, the store (workspaces, datasets, schemas, rows,
// counters) is saved as StateDir/pbi-store.gob on Close and loaded by New;
// quota windows, pending requests, faults and tenant settings are not saved.
