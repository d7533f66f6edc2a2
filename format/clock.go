package format

import "time"

// WallClock is a time as people read it: local, to the second, with its
// zone ("2026-11-27 10:00:00 CET").
func WallClock(t time.Time) string {
	return t.Local().Format("2006-01-02 15:04:05 MST")
}
