package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/format"
)

// liveBlock is pbiwb push's progress on a terminal: one status block that is
// redrawn in place (a bar, rows, batches in flight, throughput, ETA, and the
// current wait counting down), as docker and pip show theirs. Lines that
// stay (phases, retries, errors, the summary) are printed above it.
type liveBlock struct {
	w     io.Writer
	width func() int // the terminal's columns; lines are cut to it, so none wraps

	mu     sync.Mutex
	prog   push.Progress
	at     time.Time // when prog arrived: its ETA counts down from there
	shown  bool      // a progress event has arrived: the block has something to say
	drawn  int       // lines of the block on screen, the cursor below them
	dirty  bool
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

// liveRefresh is how often the block is redrawn: often enough for a
// countdown and a moving bar, rarely enough to cost nothing. Between events
// the wait and the ETA count down.
const liveRefresh = 250 * time.Millisecond

func newLiveBlock(w io.Writer, width func() int) *liveBlock {
	l := &liveBlock{w: w, width: width, stop: make(chan struct{}), done: make(chan struct{})}
	go l.tick()
	return l
}

func (l *liveBlock) tick() {
	defer close(l.done)
	t := time.NewTicker(liveRefresh)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			// A wait's countdown moves even when no event arrives.
			if l.dirty || l.prog.Wait != nil || l.prog.ETASeconds > 0 {
				l.redraw()
			}
			l.mu.Unlock()
		}
	}
}

// update takes the latest progress; the next tick draws it.
func (l *liveBlock) update(p push.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prog, l.at, l.shown, l.dirty = p, time.Now(), true, true
}

// println prints a line that stays, above the block.
func (l *liveBlock) println(line string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_, err := io.WriteString(l.w, line+"\n")
		return err
	}
	_, err := io.WriteString(l.w, l.clear()+line+"\n"+l.render())
	return err
}

// close removes the block for good (before the summary) and stops the
// ticker.
func (l *liveBlock) close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	_, err := io.WriteString(l.w, l.clear())
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	return err
}

func (l *liveBlock) redraw() {
	if l.closed {
		return
	}
	_, _ = io.WriteString(l.w, l.clear()+l.render())
	l.dirty = false
}

// clear moves the cursor to the block's first line and erases down, and
// counts the block as gone.
func (l *liveBlock) clear() string {
	if l.drawn == 0 {
		return ""
	}
	s := fmt.Sprintf("\x1b[%dA\r\x1b[J", l.drawn)
	l.drawn = 0
	return s
}

// render is the block's lines, each ended by a newline, and counts them as
// drawn.
func (l *liveBlock) render() string {
	if !l.shown {
		return ""
	}
	lines := liveLines(l.prog, l.at, time.Now())
	width := 80
	if l.width != nil {
		if w := l.width(); w > 0 {
			width = w
		}
	}
	var b strings.Builder
	for _, line := range lines {
		b.WriteString(cutToWidth(line, width-1) + "\n")
	}
	l.drawn = len(lines)
	return b.String()
}

// liveLines are the block's lines for p, which arrived at at, shown at now.
func liveLines(p push.Progress, at, now time.Time) []string {
	pct := 0
	if p.RowsTotal > 0 {
		pct = int(p.RowsWritten * 100 / p.RowsTotal)
	}
	const barWidth = 24
	filled := pct * barWidth / 100
	bar := "[" + strings.Repeat("█", filled) + strings.Repeat("░", barWidth-filled) + "]"
	lines := []string{fmt.Sprintf("%s %3d%%  %s / %s rows", bar, pct, format.Thousands(p.RowsWritten), format.Thousands(p.RowsTotal))}
	stats := fmt.Sprintf("batch %s/%s · %d in flight · %s rows/s", format.Thousands(int64(p.BatchesDone)),
		format.Thousands(int64(p.BatchesTotal)), p.InFlight, format.Thousands(int64(p.RowsPerSecond+0.5)))
	if eta := p.ETASeconds - now.Sub(at).Seconds(); p.ETASeconds > 0 {
		stats += " · ETA " + format.Seconds(max(eta, 0))
	}
	if p.Retries > 0 {
		stats += " · " + format.Count(p.Retries, "retry")
	}
	lines = append(lines, stats)
	if p.Wait != nil {
		w := *p.Wait
		if !w.Until.IsZero() && w.Until.Before(now) {
			w.Until = now
		}
		lines = append(lines, "waiting "+pushWaitText(w, now))
	}
	return lines
}

// cutToWidth cuts s to n characters (runes; the block's are one column
// each), marking the cut.
func cutToWidth(s string, n int) string {
	if n < 1 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
