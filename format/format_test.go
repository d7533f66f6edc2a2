package format

import (
	"math"
	"testing"
	"time"
)

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 49969: "49,969", 1000000: "1,000,000",
		-1: "-1", -1234: "-1,234", -999999: "-999,999",
		math.MaxInt64: "9,223,372,036,854,775,807", math.MinInt64: "-9,223,372,036,854,775,808",
	} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		noun string
		want string
	}{
		{0, "row", "0 rows"}, {1, "row", "1 row"}, {2, "row", "2 rows"}, {999, "row", "999 rows"},
		{1000, "row", "1,000 rows"}, {5000001, "row", "5,000,001 rows"}, {-1, "row", "-1 row"}, {-2, "row", "-2 rows"},
		{1, "place", "1 place"}, {2, "place", "2 places"}, {1, "column", "1 column"}, {3, "column", "3 columns"},
		{1, "batch", "1 batch"}, {2, "batch", "2 batches"}, {0, "retry", "0 retries"}, {1, "retry", "1 retry"},
		{2, "key", "2 keys"}, {2, "address", "2 addresses"}, {2, "box", "2 boxes"}, {2, "wait", "2 waits"},
		{2, "POST", "2 POSTs"}, {2, "", "2 "},
	} {
		if got := Count(tt.n, tt.noun); got != tt.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tt.n, tt.noun, got, tt.want)
		}
	}
	if got := Count(int(1000), "place"); got != "1,000 places" {
		t.Errorf("Count(int 1000) = %q", got)
	}
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"}, {0, "0s"}, {time.Millisecond, "0s"}, {49 * time.Millisecond, "0s"},
		{50 * time.Millisecond, "0.1s"}, {400 * time.Millisecond, "0.4s"}, {949 * time.Millisecond, "0.9s"},
		{950 * time.Millisecond, "1s"}, {time.Second, "1s"}, {1499 * time.Millisecond, "1s"},
		{1500 * time.Millisecond, "2s"}, {59 * time.Second, "59s"}, {59499 * time.Millisecond, "59s"},
		{59500 * time.Millisecond, "1m"}, {time.Minute, "1m"}, {61 * time.Second, "1m01s"},
		{150 * time.Second, "2m30s"}, {59*time.Minute + 59*time.Second, "59m59s"},
		{59*time.Minute + 59*time.Second + 500*time.Millisecond, "1h"}, {time.Hour, "1h"},
		{time.Hour + 5*time.Minute, "1h05m"}, {time.Hour + 5*time.Minute + 29*time.Second, "1h05m"},
		{time.Hour + 5*time.Minute + 30*time.Second, "1h06m"}, {24 * time.Hour, "24h"},
		{100*time.Hour + 59*time.Minute + 30*time.Second, "101h"},
	} {
		if got := Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	if got := Seconds(90.2); got != "1m30s" {
		t.Errorf("Seconds(90.2) = %q, want 1m30s", got)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"": "''", "Orders": "Orders", "domo:845305d8-da3d": "domo:845305d8-da3d", "/tmp/a.csv": "/tmp/a.csv",
		"Sales Analytics": "'Sales Analytics'", "it's": `'it'\''s'`, "$HOME": "'$HOME'", "a;b": "'a;b'",
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
