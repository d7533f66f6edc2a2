package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/atomicfile"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/home"
)

// The workspaces pbiwb last listed (pbiwb groups, the wizard's Details
// screen), per account, so that completing --group needs no network call.
// A cache: losing or failing to write it costs only completions.
const workspacesFile = "workspaces.json"

type seenWorkspaces struct {
	// Accounts maps a saved account's name (lower case; "" for an unsaved
	// identity) to the names it was last shown.
	Accounts map[string]seenList `json:"accounts"`
}

type seenList struct {
	Names []string  `json:"names"`
	Seen  time.Time `json:"seen"`
}

// rememberWorkspaces records the workspaces account was shown.
func rememberWorkspaces(dirs home.Dirs, account string, groups []powerbi.Group) {
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	path := filepath.Join(dirs.State, workspacesFile)
	seen := readSeenWorkspaces(path)
	if seen.Accounts == nil {
		seen.Accounts = map[string]seenList{}
	}
	seen.Accounts[strings.ToLower(account)] = seenList{Names: names, Seen: time.Now().UTC()}
	if b, err := json.MarshalIndent(seen, "", "  "); err == nil {
		_ = atomicfile.Write(path, b) // a cache: failing to keep it costs only completions
	}
}

func readSeenWorkspaces(path string) seenWorkspaces {
	var seen seenWorkspaces
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &seen) // a damaged cache is an empty one
	}
	return seen
}

// workspaceNames are the candidates for --group: My workspace, then the
// names account was last shown, or, for no account or one never listed,
// the list seen last.
func workspaceNames(g Globals, account string) []string {
	out := []string{powerbi.MyWorkspaceName}
	dirs, ok := completionDirs(g)
	if !ok {
		return out
	}
	seen := readSeenWorkspaces(filepath.Join(dirs.State, workspacesFile))
	list, ok := seen.Accounts[strings.ToLower(account)]
	if !ok || account == "" {
		for _, l := range seen.Accounts {
			if l.Seen.After(list.Seen) {
				list = l
			}
		}
	}
	for _, n := range list.Names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
