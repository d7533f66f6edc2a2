// Package format writes numbers, counts and durations the way pbiwb shows
// them to people, the same in the wizard, the headless printer, doctor,
// history and the engine's messages.
package format

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Integer is what Thousands and Count take.
type Integer interface {
	~int | ~int32 | ~int64
}

// Thousands writes n with comma separators: 1000000 → "1,000,000".
func Thousands[T Integer](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Count writes n with thousands separators and the noun, singular for 1 and
// -1, plural otherwise: "1 row", "0 rows", "1,000 rows", "2 batches".
func Count[T Integer](n T, noun string) string {
	return Thousands(n) + " " + Noun(n, noun)
}

// Noun is the noun as a count of n needs it: "row" for 1, "rows" otherwise.
// The plural follows the regular English rules ("batch" → "batches", "retry"
// → "retries"); pbiwb's messages use no irregular noun.
func Noun[T Integer](n T, noun string) string {
	if n == 1 || n == -1 || noun == "" {
		return noun
	}
	switch {
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"), strings.HasSuffix(noun, "z"),
		strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		return noun + "es"
	case strings.HasSuffix(noun, "y") && len(noun) > 1 && !strings.ContainsRune("aeiou", rune(noun[len(noun)-2])):
		return noun[:len(noun)-1] + "ies"
	}
	return noun + "s"
}

// Duration writes d short, in its two largest units, rounded: "0.4s" under a
// second, "59s", "2m30s", "1h05m"; a zero last unit is left out ("2m", "1h").
// A negative duration is written as "0s".
func Duration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if r := d.Round(100 * time.Millisecond); r < time.Second {
		if r == 0 {
			return "0s"
		}
		return fmt.Sprintf("0.%ds", r/(100*time.Millisecond))
	}
	r := d.Round(time.Second)
	switch {
	case r < time.Minute:
		return fmt.Sprintf("%ds", r/time.Second)
	case r < time.Hour:
		m, s := r/time.Minute, r%time.Minute/time.Second
		if s == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	r = d.Round(time.Minute)
	h, m := r/time.Hour, r%time.Hour/time.Minute
	if m == 0 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}

// Seconds is Duration of a number of seconds, as events and history records
// keep them.
func Seconds(s float64) string {
	return Duration(time.Duration(s * float64(time.Second)))
}

// ShellQuote quotes s for a POSIX shell, for the command lines pbiwb shows:
// as it is when it holds only characters no shell treats specially, else in
// single quotes.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}
