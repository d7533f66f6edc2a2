// Package browser is a stand-in for a person at a web browser, for the
// sandbox's sign-in page (docs/sandbox.md, "Browser sign-in"): given the
// authorize URL an app opens, it fetches the page, posts the login and password
// to it, and delivers the code to the app's redirect URI as a browser would,
// following a 302 or submitting the form_post page MSAL Go asks for. Tests use
// it as MSAL Go's URL opener; its command, pbiwb-sandbox-browser, is a $BROWSER
// for pbiwb --auth browser against a sandbox.
package browser

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Options say who signs in and how the browser misbehaves, for tests.
type Options struct {
	Login, Password string
	// Client reaches the sandbox (it must trust the sandbox CA); the redirect
	// to the app, plain http on localhost, is sent with a default client.
	Client *http.Client
	// Authorize, when set, may change the authorize URL before it is opened
	// (a different code_challenge or redirect_uri).
	Authorize func(u *url.URL)
	// Code, when set, is told the code the sandbox issued and returns the one
	// delivered to the app (an earlier code, to replay it).
	Code func(issued string) string
	// KeepRedirect sends the answer to the redirect URI of the authorize URL
	// as given, not as Authorize changed it (a code issued for another
	// redirect URI reaches the app).
	KeepRedirect bool
}

// Follow signs in at authorizeURL and delivers the answer to the app.
func Follow(ctx context.Context, authorizeURL string, o Options) error {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return fmt.Errorf("authorize URL: %w", err)
	}
	original := u.Query().Get("redirect_uri")
	if o.Authorize != nil {
		o.Authorize(u)
	}
	client := *o.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	status, body, _, err := send(ctx, &client, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK || !strings.Contains(body, `name="passwd"`) {
		return fmt.Errorf("the authorize page answered %d without a sign-in form: %s", status, pageText(body))
	}
	status, body, loc, err := send(ctx, &client, http.MethodPost, u.String(),
		url.Values{"login": {o.Login}, "passwd": {o.Password}})
	if err != nil {
		return err
	}
	var target string
	var fields url.Values
	switch {
	case status == http.StatusFound && loc != "":
		lu, err := url.Parse(loc)
		if err != nil {
			return fmt.Errorf("redirect %q: %w", loc, err)
		}
		fields = lu.Query()
		lu.RawQuery = ""
		target = lu.String()
	case status == http.StatusOK && strings.Contains(body, `method="post" action=`):
		target, fields = parseFormPost(body)
	default:
		return fmt.Errorf("signing in answered %d: %s", status, pageText(body))
	}
	if o.KeepRedirect {
		target = original
	}
	if c := fields.Get("code"); c != "" && o.Code != nil {
		fields.Set("code", o.Code(c))
	}
	method := http.MethodPost
	if status == http.StatusFound {
		method = http.MethodGet
		tu, _ := url.Parse(target)
		tu.RawQuery = fields.Encode()
		target, fields = tu.String(), nil
	}
	if status, body, _, err = send(ctx, http.DefaultClient, method, target, fields); err != nil {
		return fmt.Errorf("delivering the answer to %s: %w", target, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("the app's redirect URI %s answered %d: %s", target, status, pageText(body))
	}
	if e := fields.Get("error_description"); e != "" {
		return errors.New(e)
	}
	return nil
}

func send(ctx context.Context, c *http.Client, method, target string, form url.Values) (int, string, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, "", "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b), resp.Header.Get("Location"), err
}

var (
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	inputRE  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	tagRE    = regexp.MustCompile(`<[^>]*>`)
)

// parseFormPost reads the sandbox's form_post page: its action and hidden fields.
func parseFormPost(page string) (string, url.Values) {
	v := url.Values{}
	for _, m := range inputRE.FindAllStringSubmatch(page, -1) {
		v.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	action := ""
	if m := actionRE.FindStringSubmatch(page); m != nil {
		action = html.UnescapeString(m[1])
	}
	return action, v
}

// pageText is a page's text without tags, for an error message.
func pageText(page string) string {
	t := strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(page, " "))), " ")
	if len(t) > 400 {
		t = t[:400] + "…"
	}
	return t
}
