package domoapi

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
)

// domoError is Domo's error envelope (domo-java-sdk ErrorResponse: status,
// statusReason, message, toe; the gateway adds path). toe is Domo's trace id,
// what support asks for.
type domoError struct {
	Status       int    `json:"status"`
	StatusReason string `json:"statusReason"`
	Path         string `json:"path,omitempty"`
	Message      string `json:"message"`
	TOE          string `json:"toe"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v) // only marshalable values
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// writeError answers with Domo's JSON envelope.
func writeError(w http.ResponseWriter, r *http.Request, status int, reason, message string) {
	writeJSON(w, status, domoError{Status: status, StatusReason: reason, Path: r.URL.Path, Message: message, TOE: newTOE()})
}

// writeNotAcceptable is what Domo's gateway answers on the CSV export when the
// real error (here cause, a Java exception line) cannot be rendered as JSON for
// a client that accepts only text/csv: Jetty's 406 page, as observed in
// domo-java-sdk issues #11 and #15.
func writeNotAcceptable(w http.ResponseWriter, cause string) {
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.Header().Set("Cache-Control", "must-revalidate,no-cache,no-store")
	w.WriteHeader(http.StatusNotAcceptable)
	fmt.Fprintf(w, `<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"/>
<title>Error 406 Not Acceptable</title>
</head>
<body><h2>HTTP ERROR 406</h2>
<p>Problem accessing /error. Reason:
<pre>    Not Acceptable</pre></p><h3>Caused by:</h3><pre>%s
	at com.domo.gateway.config.security.OAuthAuthenticationProvider.values(OAuthAuthenticationProvider.java:39)
	at com.domo.gateway.config.security.OAuthLoggingRequestFilter.doFilterInternal(OAuthLoggingRequestFilter.java:50)
	at org.springframework.web.filter.OncePerRequestFilter.doFilter(OncePerRequestFilter.java:107)
</pre>
<hr><a href="http://eclipse.org/jetty">Powered by Jetty://</a><hr/>

</body>
</html>
`, html.EscapeString(cause))
}

// newTOE returns a trace id shaped like Domo's ("O6Q67O9N7H-U3ALR-NVA7L").
func newTOE() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [20]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, 22)
	for i, c := range b {
		if i == 10 || i == 15 {
			out = append(out, '-')
		}
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out)
}
