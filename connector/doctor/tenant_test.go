package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/powerbi"
)

// The creation check on the machine's calendar: a dataset to create passes
// until the last day (counting the days from a year before) and fails after
// it; an existing dataset always passes.
func TestCheckCreation(t *testing.T) {
	for _, tt := range []struct {
		name   string
		day    string
		exists bool
		status Status
		found  string
		more   string // in the fix or the details
	}{
		{"new, early", "2026-06-01", false, Pass, `dataset "New" does not exist yet: pbiwb push creates it (Power BI creates push datasets until 2027-10-31)`, ""},
		{"new, last year", "2027-10-01", false, Pass, `dataset "New" does not exist yet: pbiwb push creates it; Power BI creates push datasets only until 2027-10-31 (31 days left)`,
			"if it is deleted after 2027-10-31, it cannot be created again"},
		{"new, after", "2027-11-01", false, Fail, `dataset "New" does not exist, and Power BI stopped creating push datasets after 2027-10-31: a push would be refused`,
			"Write into an existing push dataset: give dataset the name of one (`pbiwb datasets` lists them, with their tables). For new real-time data, Microsoft's path is Real-Time Intelligence in Microsoft Fabric."},
		{"existing, after", "2028-01-01", true, Pass, `dataset "Old" exists: writing into it goes on after Power BI stops creating push datasets (after 2027-10-31)`,
			"it cannot be created again"},
		{"existing, early", "2026-01-01", true, Pass, `dataset "Old" exists: writing into it goes on after Power BI stops creating push datasets (after 2027-10-31)`, ""},
	} {
		day, err := time.Parse(time.DateOnly, tt.day)
		if err != nil {
			t.Fatal(err)
		}
		d := New(Config{Dataset: "New", Now: func() time.Time { return day.Add(12 * time.Hour) }})
		if tt.exists {
			d.dataset = &powerbi.Dataset{ID: "id", Name: "Old", AddRowsAPIEnabled: true}
		}
		r := d.checkCreation(context.Background())
		more := r.Fix + strings.Join(r.Details, "\n")
		if r.Status != tt.status || r.Found != tt.found || !strings.Contains(more, tt.more) || tt.more == "" && more != "" {
			t.Errorf("%s: %s %q\n%q\nwant %s %q\n%q", tt.name, r.Status, r.Found, more, tt.status, tt.found, tt.more)
		}
	}
}
