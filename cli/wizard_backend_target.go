package cli

// The target lists: workspaces and their push datasets.

import (
	"context"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/ui"
)

// Workspaces lists the workspaces the account can see, My workspace first
// (as `--group "My workspace"` names it). A service principal has none: it
// is listed as unavailable, saying why, so the user learns it here rather
// than from Power BI's refusal.
func (b *wizardBackend) Workspaces(ctx context.Context, account string) ([]ui.Workspace, error) {
	s, err := b.session(account)
	if err != nil {
		return nil, err
	}
	groups, err := s.pbi.Groups(ctx, "")
	if err != nil {
		return nil, wizardError(err)
	}
	rememberWorkspaces(b.dirs, account, groups) // for completing --group
	my := ui.Workspace{ID: powerbi.MyWorkspace, Name: powerbi.MyWorkspaceName, Personal: true}
	if s.summary.Method == ui.MethodServicePrincipal {
		my.Unavailable = "a service principal has no My workspace; use a workspace it is a member of " +
			"(a workspace Admin adds it in the workspace's Manage access as Member or Admin)."
	}
	out := []ui.Workspace{my}
	for _, g := range groups {
		out = append(out, ui.Workspace{ID: g.ID, Name: g.Name, ReadOnly: g.IsReadOnly})
	}
	return out, nil
}

// Datasets lists the push datasets of a workspace; imported datasets cannot
// take rows, so they are not offered.
func (b *wizardBackend) Datasets(ctx context.Context, account, workspaceID string) ([]string, error) {
	s, err := b.session(account)
	if err != nil {
		return nil, err
	}
	list, err := s.pbi.Datasets(ctx, workspaceID)
	if err != nil {
		return nil, wizardError(err)
	}
	var names []string
	for _, d := range list {
		if d.IsPush() {
			names = append(names, d.Name)
		}
	}
	return names, nil
}
