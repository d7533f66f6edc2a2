package powerbi

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/names"
)

// Group is a Power BI workspace.
type Group struct {
	ID                    string `json:"id"`
	Name                  string `json:"name"`
	IsReadOnly            bool   `json:"isReadOnly"`
	IsOnDedicatedCapacity bool   `json:"isOnDedicatedCapacity"`
	CapacityID            string `json:"capacityId,omitempty"`
	Type                  string `json:"type,omitempty"` // "Workspace" in current responses
}

// MyWorkspaceName is how Power BI names the personal workspace. FindGroup
// answers it with MyWorkspaceGroup when no shared workspace has that name.
const MyWorkspaceName = "My workspace"

// MyWorkspaceGroup stands for the personal workspace (ID MyWorkspace).
var MyWorkspaceGroup = Group{ID: MyWorkspace, Name: MyWorkspaceName, Type: "PersonalGroup"}

// ErrNoSuchGroup and ErrNoSuchDataset match (errors.Is) a lookup by name
// that found nothing.
var (
	ErrNoSuchGroup   = errors.New("no such workspace")
	ErrNoSuchDataset = errors.New("no such dataset")
)

// DuplicateNameError is a lookup by name that matched several items; Power BI
// does not keep names unique, so the caller must pick one by ID.
type DuplicateNameError struct {
	Kind string // "workspace" or "dataset"
	Name string
	IDs  []string
}

func (e *DuplicateNameError) Error() string {
	return fmt.Sprintf("%d %ss are named %q (IDs %s): give the ID instead of the name",
		len(e.IDs), e.Kind, e.Name, strings.Join(e.IDs, ", "))
}

// ExitCode: the name must change to an ID, in the target (exit 3).
func (e *DuplicateNameError) ExitCode() exitcode.Code { return exitcode.Invalid }

// groupPageSize is how many workspaces one GET /groups asks for. The real
// service's default page size is not documented (UNCONFIRMED); asking with
// $top and following with $skip works whatever it is.
const groupPageSize = 5000

type groupList struct {
	Value    []Group `json:"value"`
	NextLink string  `json:"@odata.nextLink"`
}

// Groups lists the workspaces the identity can see. filter is an OData
// $filter expression such as "contains(name,'sales')" ("" for all); it is
// escaped here. My workspace is not in the list (address it as MyWorkspace).
func (c *Client) Groups(ctx context.Context, filter string) ([]Group, error) {
	page := c.pageSize
	if page <= 0 {
		page = groupPageSize
	}
	var all []Group
	seen := map[string]bool{}
	for skip := 0; ; skip += page {
		var l groupList
		q := encodeQuery("$filter", filter, "$top", fmt.Sprint(page), "$skip", nonZero(skip))
		if err := c.do(ctx, call{op: "list workspaces", method: "GET", path: "/groups", query: q, out: &l, idempotent: true}); err != nil {
			return nil, err
		}
		added := 0
		for _, g := range l.Value {
			if !seen[g.ID] {
				seen[g.ID] = true
				all = append(all, g)
				added++
			}
		}
		// A short page is the last; a server that ignores $skip repeats a
		// page, which adds nothing new and ends the loop as well.
		if len(l.Value) < page || added == 0 {
			return all, nil
		}
	}
}

func nonZero(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// Group returns one workspace by ID.
func (c *Client) Group(ctx context.Context, id string) (Group, error) {
	if id == MyWorkspace {
		return MyWorkspaceGroup, nil
	}
	var g Group
	err := c.do(ctx, call{op: "get workspace " + id, method: "GET", path: workspacePath(id), out: &g, idempotent: true})
	return g, err
}

// FindGroup finds a workspace by ID or by exact name (as the Details pane of
// the connector asks for it). A name matches case-sensitively first, then
// case-insensitively; several matches are a *DuplicateNameError listing their
// IDs; none is ErrNoSuchGroup with the names the identity can see. The name
// "My workspace" (any case) means the personal workspace unless a shared
// workspace carries that name.
func (c *Client) FindGroup(ctx context.Context, nameOrID string) (Group, error) {
	key := strings.TrimSpace(nameOrID)
	if key == "" {
		return Group{}, fmt.Errorf("find workspace: no name or ID given")
	}
	groups, err := c.Groups(ctx, "")
	if err != nil {
		return Group{}, err
	}
	if names.IsGUID(key) {
		for _, g := range groups {
			if strings.EqualFold(g.ID, key) {
				return g, nil
			}
		}
		// Not in the list: ask for it directly so the service's own error
		// (no access, not found) reaches the user.
		return c.Group(ctx, key)
	}
	var exact, folded []Group
	for _, g := range groups {
		switch {
		case g.Name == key:
			exact = append(exact, g)
		case strings.EqualFold(g.Name, key):
			folded = append(folded, g)
		}
	}
	matches := exact
	if len(matches) == 0 {
		matches = folded
	}
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) > 1:
		return Group{}, &DuplicateNameError{Kind: "workspace", Name: key, IDs: groupIDs(matches)}
	case strings.EqualFold(key, MyWorkspaceName):
		return MyWorkspaceGroup, nil
	}
	names := make([]string, 0, len(groups))
	for _, g := range groups {
		names = append(names, fmt.Sprintf("%q", g.Name))
	}
	sort.Strings(names)
	seen := "it can see none"
	if len(names) > 0 {
		seen = "it sees " + strings.Join(names, ", ")
	}
	return Group{}, fmt.Errorf("%w named %q for this account (%s); check the spelling, or ask a workspace Admin to add the account",
		ErrNoSuchGroup, key, seen)
}

func groupIDs(gs []Group) []string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	return ids
}
