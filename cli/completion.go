package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/source"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// completeCommand is the hidden command the completion scripts call with
// the words typed so far (the last one being completed, maybe empty); it
// prints the candidates, one per line. It reads only local files (saved
// accounts, the history, the workspaces last listed): never the network.
const completeCommand = "__complete"

var shells = []string{"bash", "zsh", "fish", "powershell"}

// runCompletion is `pbiwb completion SHELL`: the script that makes SHELL
// complete pbiwb's commands, flags and values.
func runCompletion(_ context.Context, _ Globals, args []string, env Env) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(env.Stderr, completionHelp)
		return nil
	}
	if len(args) != 1 || !slices.Contains(shells, args[0]) {
		fmt.Fprint(env.Stderr, completionHelp)
		return exit(exitcode.Usage, "completion takes one shell: %s", strings.Join(shells, ", "))
	}
	_, err := io.WriteString(env.Stdout, completionScripts[args[0]])
	return err
}

const completionHelp = `Usage: pbiwb completion bash|zsh|fish|powershell

Prints a script that completes pbiwb's commands, flags, flag values (--auth,
--cloud, --mode, --retention, --format), saved account names, run ids, and the
workspace names pbiwb last listed (pbiwb groups, the wizard). Completion reads
only local files: it never signs in or calls a service.

  bash        source <(pbiwb completion bash)      # in ~/.bashrc
  zsh         source <(pbiwb completion zsh)       # in ~/.zshrc, after compinit
  fish        pbiwb completion fish > ~/.config/fish/completions/pbiwb.fish
  powershell  pbiwb completion powershell | Out-String | Invoke-Expression   # in $PROFILE

`

// runComplete prints the candidates for the last of words: all the words
// after "pbiwb", the global flags among them.
func runComplete(ctx context.Context, words []string, env Env) error {
	if len(words) == 0 {
		words = []string{""}
	}
	if words[len(words)-1] == `""` { // PowerShell's way to pass an empty word
		words[len(words)-1] = ""
	}
	g, _, err := parseGlobals(words[:len(words)-1], env.Getenv)
	if err != nil {
		g = Globals{Home: env.Getenv("PBIWB_HOME")}
	}
	for _, c := range complete(ctx, g, words, env) {
		fmt.Fprintln(env.Stdout, c)
	}
	return nil
}

// complete is the candidates for the last of words, given the ones before.
func complete(ctx context.Context, g Globals, words []string, env Env) []string {
	words = joinEquals(words)
	cur, prev := words[len(words)-1], words[:len(words)-1]
	// bash splits "--group=Sal" at "=": the word completed is then "Sal"
	// and the candidates are values alone.
	splitAtEquals := len(prev) > 0 && strings.HasSuffix(prev[len(prev)-1], "=")
	if splitAtEquals {
		prev, cur = prev[:len(prev)-1], prev[len(prev)-1]+cur
	}

	cmd, sub, rest := commandOf(prev)
	var flags []*flag.Flag
	if cmd != "" {
		flags = flagSet(ctx, g, cmd, sub, env)
	}
	// A flag's value: in "--flag=" or after "--flag ".
	if name, v, ok := strings.Cut(strings.TrimLeft(cur, "-"), "="); ok && strings.HasPrefix(cur, "-") {
		vals := matching(values(g, name, prev), v)
		if splitAtEquals {
			return vals
		}
		for i := range vals {
			vals[i] = "--" + name + "=" + vals[i]
		}
		return vals
	}
	if len(prev) > 0 {
		last := prev[len(prev)-1]
		if last == "--home" || last == "-home" {
			return nil // a directory: the shell's own completion
		}
		if f := flagNamed(flags, last); f != nil && !isBoolFlag(f) {
			return matching(values(g, f.Name, prev), cur)
		}
	}
	if strings.HasPrefix(cur, "-") {
		var names []string
		for _, f := range flags {
			names = append(names, "--"+f.Name)
		}
		return prefixed(append(names, "--sandbox", "--home", "--help"), cur)
	}
	switch n := positionals(flags, rest); {
	case cmd == "":
		var names []string
		for _, c := range commands() {
			names = append(names, c.name)
		}
		return prefixed(names, cur)
	case cmd == "accounts" && sub == "":
		return prefixed([]string{"list", "add", "remove"}, cur)
	case cmd == "accounts" && sub == "remove" && n == 0:
		return matching(accountNames(g), cur)
	case cmd == "history" && n == 0:
		return prefixed(runIDs(g), cur)
	case cmd == "completion" && n == 0:
		return prefixed(shells, cur)
	}
	return nil
}

// joinEquals puts back together what a shell split at "=": "--group", "=",
// "Sales" is "--group=Sales" (the last word may be "--group", "=", "").
func joinEquals(words []string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		if words[i] == "=" && len(out) > 0 && strings.HasPrefix(out[len(out)-1], "-") {
			out[len(out)-1] += "="
			if i == len(words)-1 {
				out = append(out, "")
			}
			continue
		}
		out = append(out, words[i])
	}
	return out
}

// commandOf finds the command and (for accounts) its subcommand among the
// words before the one completed; rest is what follows them. The global
// flags, which may stand anywhere, are left out.
func commandOf(prev []string) (cmd, sub string, rest []string) {
	for i := 0; i < len(prev); i++ {
		w := prev[i]
		switch {
		case w == "--home" || w == "-home":
			i++
		case w == "--sandbox" || w == "-sandbox":
			if i+1 < len(prev) && looksLikeURL(prev[i+1]) {
				i++
			}
		case cmd == "" && !strings.HasPrefix(w, "-"):
			cmd = w
		case cmd == "accounts" && sub == "" && !strings.HasPrefix(w, "-"):
			sub = w
		case cmd != "":
			rest = append(rest, w)
		}
	}
	return cmd, sub, rest
}

// positionals counts the words of rest that are neither flags nor their
// values.
func positionals(flags []*flag.Flag, rest []string) int {
	n := 0
	for i := 0; i < len(rest); i++ {
		if f := flagNamed(flags, rest[i]); f != nil {
			if !isBoolFlag(f) {
				i++
			}
			continue
		}
		if !strings.HasPrefix(rest[i], "-") {
			n++
		}
	}
	return n
}

// flagSet is the flags of cmd (sub), as its own usage lists them: the
// command runs with --help and hands its flag set over (env.flagSink).
func flagSet(ctx context.Context, g Globals, cmd, sub string, env Env) []*flag.Flag {
	var fs *flag.FlagSet
	quiet := Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" },
		IsTerminal: func() bool { return false }, deps: env.deps, flagSink: func(f *flag.FlagSet) { fs = f }}
	args := []string{cmd}
	if sub != "" {
		args = append(args, sub)
	}
	for _, c := range commands() {
		if c.name == cmd {
			_ = c.run(ctx, g, append(args[1:], "--help"), quiet)
		}
	}
	if fs == nil {
		return nil
	}
	var out []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { out = append(out, f) })
	return out
}

// flagNamed is word's flag among flags ("--account" or "-account"), nil
// when word is no flag, or carries its value ("--account=x").
func flagNamed(flags []*flag.Flag, word string) *flag.Flag {
	if !strings.HasPrefix(word, "-") || strings.Contains(word, "=") {
		return nil
	}
	name := strings.TrimLeft(word, "-")
	for _, f := range flags {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// values are the known values of flag name.
func values(g Globals, name string, prev []string) []string {
	switch name {
	case "auth":
		var out []string
		for _, m := range entra.Methods {
			out = append(out, string(m))
		}
		return out
	case "cloud":
		return cloud.Names
	case cmdline.Mode:
		return []string{push.ModeReplace, push.ModeAppend}
	case cmdline.Retention:
		return []string{push.RetentionNone, push.RetentionFIFO}
	case cmdline.Format:
		out := make([]string, len(source.Formats))
		for i, f := range source.Formats {
			out[i] = string(f)
		}
		return out
	case cmdline.Account:
		return accountNames(g)
	case cmdline.Group:
		return workspaceNames(g, accountIn(prev))
	}
	return nil
}

// accountIn is the --account named among words, "" if none.
func accountIn(words []string) string {
	for i, w := range words {
		if w == "--"+cmdline.Account || w == "-"+cmdline.Account {
			if i+1 < len(words) {
				return words[i+1]
			}
		}
		if v, ok := strings.CutPrefix(strings.TrimLeft(w, "-"), cmdline.Account+"="); ok && strings.HasPrefix(w, "-") {
			return v
		}
	}
	return ""
}

func completionDirs(g Globals) (home.Dirs, bool) {
	dirs, err := home.Resolve(g.Home)
	return dirs, err == nil
}

func accountNames(g Globals) []string {
	dirs, ok := completionDirs(g)
	if !ok {
		return nil
	}
	accounts, err := keystore.Open(dirs, nil).List()
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range accounts {
		out = append(out, a.Name)
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

func runIDs(g Globals) []string {
	dirs, ok := completionDirs(g)
	if !ok {
		return nil
	}
	runs, err := history.New(dirs.History()).List(0)
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}

// prefixed keeps the candidates that start with cur, as typed.
func prefixed(cands []string, cur string) []string {
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(c, cur) {
			out = append(out, c)
		}
	}
	return out
}

// matching keeps the values that start with cur, ignoring case (account
// and workspace names compare without regard to case).
func matching(cands []string, cur string) []string {
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(strings.ToLower(c), strings.ToLower(cur)) {
			out = append(out, c)
		}
	}
	return out
}
