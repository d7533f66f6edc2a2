package powerbi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/internal/stall"
	"github.com/pbiwb/pbiwb/format"
)

// Advice explains err to a person: what Power BI refused, the likely cause,
// and the next step, naming the settings it refers to as n does (nil is
// field.Plain{}): "--cloud" on the command line, the field's label in the
// wizard. For an *Error it ends with the RequestId to quote to Microsoft
// support. It returns "" for errors this package did not produce.
//
// Only pbiwb's own words are rendered (field.Render): the server's text it
// quotes is never read as a reference.
func Advice(err error, n field.Namer) string {
	if n == nil {
		n = field.Plain{}
	}
	if err == nil {
		return ""
	}
	var pe *Error
	hasPE := errors.As(err, &pe)
	var ce *CreationEndedError
	if errors.As(err, &ce) {
		id := ""
		if hasPE {
			id = pe.RequestID
		}
		return withRequestID(ce.advice(n), id)
	}
	// A token source failure comes first: it is also what a TokenExpired
	// answer turns into when getting the replacement token failed.
	var ke *TokenError
	if errors.As(err, &ke) {
		s := "pbiwb could not get a Power BI access token, so nothing was written: " + ke.Err.Error() +
			". Sign in again (run `pbiwb doctor` to see which credential fails)."
		if hasPE {
			return withRequestID(s, pe.RequestID)
		}
		return s
	}
	if hasPE {
		return withRequestID(pe.advice(n), pe.RequestID)
	}
	var te *TransportError
	if errors.As(err, &te) {
		return te.advice(n)
	}
	return ""
}

func withRequestID(s, id string) string {
	if id == "" {
		return s
	}
	return s + "\nRequestId " + id + " — quote it to Microsoft support if you open a case."
}

func (e *Error) advice(n field.Namer) string {
	where := e.workspace(" in ")
	switch {
	case e.tokenExpired():
		return "Power BI says the access token has expired, and signing in again did not give a newer one. " +
			"Check that this computer's clock is right, then sign in again (`pbiwb accounts add` for a saved account, " +
			"or run `pbiwb doctor`)."

	case e.Code == CodeInvalidToken:
		return "Power BI did not accept the access token as one of its own. Usually the token was issued for another " +
			field.Render("cloud or resource: check {cloud} (public, usgov, usgovhigh, usgovdod, china) matches the tenant, then sign in again.", n)

	case CountingRefused(e):
		return CountingRefusal(e) + "."

	case e.Code == CodeNotAuthorized || e.Code == CodeGroupNotAccessible || e.Status == http.StatusUnauthorized:
		return e.notAuthorizedAdvice(n)

	case IsNotPushDataset(e):
		return "This dataset was not created through the push API (it was imported or published from Power BI Desktop), " +
			"so rows cannot be written into it. Choose another dataset name — pbiwb creates a push dataset when the " +
			"workspace has none of that name — or rename or delete that dataset in the Power BI service."

	case e.Code == CodeItemNotFound:
		return "Power BI cannot find that item: " + e.messageOr("a table or dataset is missing") + ". Table names are " +
			field.Render("case-sensitive; list them with {troubleshooting checks}.", n) + " A table cannot be added to an existing " +
			"push dataset: use a new dataset name to get one with this table."

	case e.Code == CodeEntityNotFound || e.Status == http.StatusNotFound:
		return "Power BI found no such " + e.entity() + where + ", or the account cannot see it" + e.detailText() +
			". Check the IDs (`pbiwb groups` lists the workspaces this account can see)."

	case e.Status == http.StatusTooManyRequests || e.Code == CodeTooManyRequests:
		wait := "a while"
		if e.RetryAfter > 0 {
			wait = format.Duration(e.RetryAfter)
		}
		return "Power BI is throttling requests to this dataset; it asks to wait " + wait + " before the next one. " +
			"Push datasets accept 120 POSTs a minute, 1,000,000 rows an hour and 5 pending requests (120 POSTs an hour " +
			"once a table holds 250,000 rows). Another program writing to the same dataset shares these limits. " +
			field.Render("pbiwb push waits and continues by itself; `{resume}` continues a stopped run.", n)

	case e.Status == http.StatusRequestEntityTooLarge || e.Code == CodeRequestEntityTooLarge:
		return "The request was larger than Power BI accepts (16 MB and 10,000 rows per POST). This is a bug in the " +
			"batch sizing if pbiwb sent it; please report it with the RequestId."

	case e.Code == CodeExecuteQueriesError:
		return "Power BI could not run the DAX query" + e.detailText() + ". executeQueries needs the tenant setting " +
			"\"Dataset Execute Queries REST API\" (Admin portal › Tenant settings › Integration settings) and Build " +
			"permission on the dataset."

	case slices.ContainsFunc(creationEndedCodes, func(c string) bool { return strings.EqualFold(e.Code, c) }):
		return (&CreationEndedError{Err: e}).advice(n)

	case e.Status == http.StatusBadRequest:
		return "Power BI rejected the request as invalid" + e.detailText() + ". If this comes from pbiwb's own " +
			"request, please report it with the RequestId."

	case e.Status == http.StatusForbidden:
		return "Power BI refused the operation" + where + e.detailText() + ". The account may only be a Viewer of the " +
			"workspace, or the workspace is read-only: ask a workspace Admin for the Contributor, Member or Admin role " +
			"(workspace › Manage access)."

	case e.Status >= 500:
		return fmt.Sprintf("Power BI had an internal error (%d)%s. It is usually temporary: try again in a few minutes; %s If it persists, open a Microsoft support case.",
			e.Status, e.detailText(), field.Render("`pbiwb push {resume}` continues a stopped run.", n))
	}
	return fmt.Sprintf("Power BI refused the request (%d %s)%s.", e.Status, e.Code, e.detailText())
}

func (e *Error) notAuthorizedAdvice(n field.Namer) string {
	to := e.workspace(" to ")
	says := ""
	if d := e.detailText(); d != "" {
		says = " Power BI says" + d + "."
	}
	member := "ask a workspace Admin to add the account to the workspace as Contributor, Member or Admin (workspace › Manage access)"
	scopes := "the app registration needs the Power BI permissions: Azure portal › App registrations › your app › API permissions › " +
		"Add › Power BI Service › Delegated: Dataset.ReadWrite.All and Workspace.Read.All, then \"Grant admin consent\" and sign in again"
	switch {
	case e.AppOnly && e.workspaceID() == "" && strings.Contains(e.Path, "/myorg/datasets"):
		return field.Render("A service principal has no My workspace: choose a workspace the service principal is a member of with {workspace}.", n) + says
	case e.AppOnly:
		return "Power BI refused the service principal access" + to + ". Three things must hold: (1) a Power BI " +
			"administrator enabled \"Service principals can use Fabric APIs\" (Admin portal › Tenant settings › " +
			"Developer settings) for the whole organization or for a security group that contains this app; " +
			"(2) the app was added to the workspace as Member or Admin (workspace › Manage access); " +
			"(3) the change has had a few minutes to take effect." + says
	case e.ErrorInfo == CodeGroupNotAccessible:
		return "The signed-in user is not a member of " + e.workspace("") + ", or no workspace has this ID: " +
			"check the ID with `pbiwb groups`, or " + member + "." + says
	case e.ErrorInfo == "InsufficientScope":
		return "The access token lacks the Power BI permission this operation needs: " + scopes + "." + says
	}
	return "Power BI refused access" + to + ". Either the signed-in user is not a member of the workspace or only a " +
		"Viewer — " + member + " — or " + scopes + "." + says
}

// workspace is prep + "workspace <id>" (or prep + "My workspace") for
// messages, "" when the request concerned no workspace; with prep "" it is
// "the workspace" in that case.
func (e *Error) workspace(prep string) string {
	switch id := e.workspaceID(); {
	case id != "":
		return prep + "workspace " + id
	case strings.Contains(e.Path, "/myorg/datasets"):
		return prep + "My workspace"
	case prep == "":
		return "the workspace"
	}
	return ""
}

func (e *Error) workspaceID() string {
	_, rest, ok := strings.Cut(e.Path, "/groups/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	id, _, _ = strings.Cut(id, "?")
	return id
}

func (e *Error) entity() string {
	switch {
	case strings.Contains(e.Path, "/tables/"):
		return "table"
	case strings.Contains(e.Path, "/datasets/"):
		return "dataset"
	case strings.Contains(e.Path, "/groups/"):
		return "workspace"
	}
	return "item"
}

func (e *Error) messageOr(def string) string {
	if e.Message != "" {
		return strings.TrimSuffix(e.Message, ".")
	}
	return def
}

// detailText is ": message; detail; ..." or "".
func (e *Error) detailText() string {
	parts := e.texts()
	for i, p := range parts {
		parts[i] = strings.TrimSuffix(p, ".")
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}

func (e *TransportError) advice(n field.Namer) string {
	var stalled *stall.TimeoutError
	if e.Sent {
		s := "The request reached " + e.Host + " but no complete answer came back"
		switch {
		case errors.As(e.Err, &stalled):
			s += ": " + stalled.Phrase(n.Name)
		case errors.Is(e.Err, context.DeadlineExceeded):
			s += " before the time limit"
		}
		if e.Method == http.MethodGet {
			return s + "; try again." // a read changes nothing
		}
		s += ", so it may or may not have taken effect."
		if strings.HasSuffix(e.Path, "/rows") && e.Method == http.MethodPost {
			s += " pbiwb counts the table's rows to settle whether these rows were stored before sending them again."
		}
		return s
	}
	if errors.Is(e.Err, context.Canceled) {
		return "The request to " + e.Host + " was cancelled before it was sent; nothing changed."
	}
	if errors.Is(e.Err, cloud.ErrRedirectRefused) {
		return "Power BI's answer was a redirect that is not followed (" + e.Err.Error() + "); nothing was sent there. " +
			field.Render("Check {cloud} (or the {sandbox URL}), and that no proxy in between redirects the API elsewhere.", n)
	}
	return "Could not reach " + e.Host + " (" + e.Err.Error() + "); nothing was sent. Check the network " +
		"connection, proxy (HTTPS_PROXY) and firewall, then try again."
}
