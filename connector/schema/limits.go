package schema

import "time"

// Limits are Power BI's documented push-dataset limits
// (learn.microsoft.com/power-bi/developer/embedded/push-datasets-limitations).
// They are a value, not constants: the sandbox serves the ones in force at
// GET /_sandbox/limits (with its time scale), and the engine paces to those.
type Limits struct {
	MaxColumns         int   `json:"maxColumns"`         // per table
	MaxTables          int   `json:"maxTables"`          // per dataset
	MaxRowsPerPost     int   `json:"maxRowsPerPost"`     // rows in one POST rows request
	MaxBytesPerPost    int64 `json:"maxBytesPerPost"`    // body size of one POST rows request
	MaxStringLength    int   `json:"maxStringLength"`    // characters per string value
	RowsPerHour        int   `json:"rowsPerHour"`        // rows added per hour per dataset
	PostsPerMinute     int   `json:"postsPerMinute"`     // POST rows requests per minute per dataset
	PostsPerHourLarge  int   `json:"postsPerHourLarge"`  // POST rows per hour once a table holds LargeTableRows
	LargeTableRows     int   `json:"largeTableRows"`     // the threshold for PostsPerHourLarge
	MaxPendingPosts    int   `json:"maxPendingPosts"`    // POST rows requests in flight per dataset
	MaxRowsFIFO        int   `json:"maxRowsFIFO"`        // rows kept in a basicFIFO table (oldest evicted)
	MaxRowsNoRetention int   `json:"maxRowsNoRetention"` // rows a table without retention may hold

	// TimeScale N shortens every window (and Retry-After) N times; 1 on the real service.
	TimeScale float64 `json:"timeScale"`
}

// DocumentedLimits are the limits of the real Power BI service.
func DocumentedLimits() Limits {
	return Limits{
		MaxColumns:         75,
		MaxTables:          75,
		MaxRowsPerPost:     10_000,
		MaxBytesPerPost:    16_000_000, // "16 MB/request"; decimal MB is the conservative reading
		MaxStringLength:    4_000,
		RowsPerHour:        1_000_000,
		PostsPerMinute:     120,
		PostsPerHourLarge:  120,
		LargeTableRows:     250_000,
		MaxPendingPosts:    5,
		MaxRowsFIFO:        200_000,
		MaxRowsNoRetention: 5_000_000,
		TimeScale:          1,
	}
}

// Minute is the real length of the per-minute window under the time scale.
func (l Limits) Minute() time.Duration { return l.scaled(time.Minute) }

// Hour is the real length of the per-hour windows under the time scale.
func (l Limits) Hour() time.Duration { return l.scaled(time.Hour) }

func (l Limits) scaled(d time.Duration) time.Duration {
	if l.TimeScale <= 1 {
		return d
	}
	return time.Duration(float64(d) / l.TimeScale)
}
