package cli

// Opening the browser for --auth browser (docs/cli.md, "Browser sign-in"):
// $BROWSER when set, as gh does (a command, split into words like a shell
// would without expansions, given the URL as its last argument), else the
// system's browser (xdg-open where a display is, open on macOS, rundll32 on
// Windows). When none can be opened, the URL is printed and pbiwb waits for
// the sign-in, saying that device code is the alternative. The URL carries no
// secret (client ID, PKCE challenge, state).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"

	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/field"
)

// EnvBrowser is the command that opens the browser sign-in's page.
const EnvBrowser = "BROWSER"

// browserOpener opens the sign-in page and tells the person on w what happens.
func browserOpener(env Env, w io.Writer) entra.URLOpener {
	return openBrowser(env.Getenv, func(msg string) { fmt.Fprint(w, msg) }, cliFace{}, "Ctrl-C")
}

// openBrowser is browserOpener for any face: say shows a message (lines
// ending in a newline) to the person, n names the settings it suggests, stop
// is the key that stops the wait.
func openBrowser(getenv func(string) string, say func(string), n field.Namer, stop string) entra.URLOpener {
	showURL := func(say func(string), url, why string) {
		say(fmt.Sprintf("No browser could be opened: %s. Open this URL in a browser on this machine to sign in:\n  %s\n"+
			"Waiting for the sign-in (%s to stop). Without a browser on this machine (over SSH, for example), sign in with %s instead.\n",
			why, url, stop, n.Setting(field.AuthMethod, string(entra.MethodDeviceCode))))
	}
	return func(url string, abort func(error)) error {
		name, args, why := browserCommand(getenv)
		if name == "" {
			showURL(say, url, why)
			return nil
		}
		cmd := exec.Command(name, append(args, url)...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &limitedWriter{w: &stderr, n: 4 << 10}
		if err := cmd.Start(); err != nil {
			showURL(say, url, fmt.Sprintf("%s could not be started (%v)", describeBrowser(getenv, name), errors.Unwrap(err)))
			return nil
		}
		say(fmt.Sprintf("Opening the browser to sign in (%s); finish the sign-in there. If no page opened, open this URL in a browser on this machine:\n  %s\n",
			describeBrowser(getenv, name), url))
		go func() {
			err := cmd.Wait()
			if err == nil {
				return
			}
			msg := strings.TrimSpace(stderr.String())
			if i := strings.LastIndex(msg, "\n"); i >= 0 {
				msg = msg[i+1:]
			}
			if getenv(EnvBrowser) != "" {
				// The command the user chose failed: the page will not be used.
				abort(fmt.Errorf("the browser command %s failed (%v)%s; fix %s, or sign in with %s",
					EnvBrowser, err, colonMsg(msg), EnvBrowser, n.Setting(field.AuthMethod, string(entra.MethodDeviceCode))))
				return
			}
			showURL(say, url, fmt.Sprintf("%s failed (%v)%s", name, err, colonMsg(msg)))
		}()
		return nil
	}
}

// browserCommand is the command that opens a URL here, or "" and why none.
func browserCommand(getenv func(string) string) (name string, args []string, why string) {
	if b := strings.TrimSpace(getenv(EnvBrowser)); b != "" {
		words := splitWords(b)
		return words[0], words[1:], ""
	}
	switch runtime.GOOS {
	case "darwin":
		return "open", nil, ""
	case "windows":
		return "rundll32", []string{"url.dll,FileProtocolHandler"}, ""
	}
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return "", nil, "no display here (" + EnvBrowser + ", DISPLAY and WAYLAND_DISPLAY are not set)"
	}
	if _, err := exec.LookPath("xdg-open"); err != nil {
		return "", nil, "xdg-open is not installed and " + EnvBrowser + " is not set"
	}
	return "xdg-open", nil, ""
}

func describeBrowser(getenv func(string) string, name string) string {
	if getenv(EnvBrowser) != "" {
		return EnvBrowser + "=" + getenv(EnvBrowser)
	}
	return name
}

func colonMsg(m string) string {
	if m == "" {
		return ""
	}
	return ": " + m
}

// splitWords splits a command line into words as a shell would, with single
// and double quotes and backslashes, without expansions.
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// limitedWriter keeps the first n bytes written to it.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		_, _ = l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
