package pacer

import (
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/schema"
)

func TestMinimumDuration(t *testing.T) {
	doc := schema.DocumentedLimits()
	scaled := doc
	scaled.TimeScale = 3600
	tests := []struct {
		name                 string
		limits               schema.Limits
		total, batch, before int
		want                 time.Duration
	}{
		{"nothing to push", doc, 0, 10_000, 0, 0},
		{"fits one hour and one minute", doc, 100_000, 10_000, 0, 0},
		{"3,000,000 rows: three hours' quotas", doc, 3_000_000, 10_000, 0, 2 * time.Hour},
		{"one row over the hour", doc, 1_000_001, 10_000, 0, time.Hour},
		{"posts per minute", doc, 300, 1, 0, 2 * time.Minute},
		{"large table: 120 posts per hour", doc, 200_000, 1_000, 250_000, time.Hour},
		{"table grows large mid-push", doc, 200_000, 1_000, 249_000, time.Hour},
		{"time scale", scaled, 3_000_000, 10_000, 0, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MinimumDuration(tt.limits, tt.total, tt.batch, tt.before); got != tt.want {
				t.Errorf("MinimumDuration = %v, want %v", got, tt.want)
			}
		})
	}
	if got := MinimumDuration(doc, 10, 2_000_000, 0); got != -1 {
		t.Errorf("impossible batch: %v, want -1", got)
	}
}

func TestEstimateDurationAddsLatency(t *testing.T) {
	doc := schema.DocumentedLimits()
	// 10 batches, 5 in flight, 1s each: two rounds.
	if got := EstimateDuration(doc, 100_000, 10_000, 0, time.Second); got != 2*time.Second {
		t.Errorf("EstimateDuration = %v, want 2s", got)
	}
}

func TestEstimateRemainingFollowsTheWindows(t *testing.T) {
	l := schema.DocumentedLimits()
	clock := clock.NewFake(t0)
	p, err := New(Config{Limits: l, Clock: clock, History: []Sent{{End: t0.Add(-20 * time.Minute), Rows: 1_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	margin := time.Hour / 1000
	if got, want := p.EstimateRemaining(10_000, 10_000, 0), 40*time.Minute+margin; got != want {
		t.Errorf("with the hour's quota spent 20 minutes ago: %v, want %v", got, want)
	}
	p.Backoff(50 * time.Minute)
	if got := p.EstimateRemaining(10_000, 10_000, 0); got != 50*time.Minute {
		t.Errorf("behind a Retry-After of 50m: %v, want 50m", got)
	}
	if got := p.EstimateRemaining(0, 10_000, 0); got != 0 {
		t.Errorf("nothing left: %v", got)
	}
}
