package schema

import (
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/field"
)

// flags names fields as the command line does, for the tests of advice.
type flags struct{}

func (flags) Name(f field.ID) string {
	return map[field.ID]string{field.Mode: "--mode", field.Retention: "--retention", field.Column: "--column"}[f]
}
func (fl flags) Setting(f field.ID, v string) string { return fl.Name(f) + " " + v }

func TestCheckRowCount(t *testing.T) {
	l := DocumentedLimits()
	tests := []struct {
		name             string
		r                Retention
		existing, rows   int
		finding, warning string
	}{
		{"none under", RetentionNone, 0, 5_000_000, "", ""},
		{"none over", RetentionNone, 0, 5_000_001, "5,000,001 rows exceeds the 5,000,000", ""},
		{"none over advice", RetentionNone, 0, 5_000_001, "split the input, use --mode replace, or a basicFIFO dataset (--retention fifo) if only", ""},
		{"none append over", RetentionNone, 4_000_000, 1_000_001, "already in the table", ""},
		{"fifo under", RetentionFIFO, 0, 200_000, "", ""},
		{"fifo over warns", RetentionFIFO, 0, 200_001, "", "drops the oldest 1"},
		{"fifo case", "basicFifo", 0, 300_000, "", "newest 200,000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, w := CheckRowCount(l, tt.r, tt.existing, tt.rows, flags{})
			if tt.finding == "" && len(fs) != 0 || tt.finding != "" && (len(fs) != 1 || fs[0].Rule != RuleRowCount || !strings.Contains(fs[0].Message, tt.finding)) {
				t.Errorf("findings %v, want %q", fs, tt.finding)
			}
			if tt.warning == "" && w != "" || !strings.Contains(w, tt.warning) {
				t.Errorf("warning %q, want %q", w, tt.warning)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	existing := []Column{{"id", Int64}, {"name", String}, {"when", Datetime}}
	tests := []struct {
		name    string
		input   []Column
		add     int
		missing int
		find    string
		column  int
	}{
		{"same", existing, 0, 0, "", 0},
		{"extra is added", append(append([]Column{}, existing...), Column{"new", Double}), 1, 0, "", 0},
		{"missing is empty", existing[:2], 0, 1, "", 0},
		{"type mismatch", []Column{{"id", String}, {"name", String}, {"when", Datetime}}, 0, 0, "--column id=Int64", 1},
		{"case only", []Column{{"id", Int64}, {"Name", String}, {"when", Datetime}}, 0, 0, "differs only in case", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Compare(existing, tt.input, DocumentedLimits(), flags{})
			if len(c.Add) != tt.add || len(c.Missing) != tt.missing {
				t.Errorf("add %v missing %v", c.Add, c.Missing)
			}
			if tt.find == "" {
				if !c.OK() {
					t.Errorf("findings %v", c.Findings)
				}
				return
			}
			if c.OK() || c.Findings[0].Column != tt.column || !strings.Contains(c.Findings[0].Message, tt.find) {
				t.Errorf("findings %v, want column %d %q", c.Findings, tt.column, tt.find)
			}
		})
	}
	// Adding past 75 columns stops.
	var wide []Column
	for i := 0; i < 75; i++ {
		wide = append(wide, Column{strings.Repeat("c", i+1), String})
	}
	c := Compare(wide[:74], wide[:75], Limits{MaxColumns: 74}, nil)
	if c.OK() || c.Findings[0].Rule != RuleColumnCount {
		t.Errorf("adding past the column limit: %v", c.Findings)
	}
}

// Without a face, the advice names the settings by their IDs.
func TestAdvicePlain(t *testing.T) {
	fs, _ := CheckRowCount(DocumentedLimits(), RetentionNone, 0, 5_000_001, nil)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "use mode replace, or a basicFIFO dataset (retention fifo)") || strings.Contains(fs[0].Message, "--") {
		t.Errorf("findings %v", fs)
	}
	c := Compare([]Column{{"id", Int64}}, []Column{{"id", String}}, DocumentedLimits(), nil)
	if len(c.Findings) != 1 || !strings.HasSuffix(c.Findings[0].Message, "force the input's type with column type id=Int64, or write to a new dataset (pbiwb creates it with the input's types, while Power BI still creates push datasets: until 2027-10-31)") {
		t.Errorf("findings %v", c.Findings)
	}
}

func TestFindingsCap(t *testing.T) {
	var fs Findings
	for i := 1; i <= 1000; i++ {
		fs.Add(Finding{File: "f.csv", Line: i, Column: 2, ColumnName: "n", Rule: RuleType, Message: "bad"})
	}
	fs.Add(Finding{File: "f.csv", Line: 5, Rule: RuleRaggedRow, Message: "ragged"})
	err := fs.Err().(*ValidationError)
	if len(err.Findings) != DefaultMaxFindings || err.Total != 1001 || err.ByRule[RuleType] != 1000 {
		t.Fatalf("listed %d of %d, by rule %v", len(err.Findings), err.Total, err.ByRule)
	}
	msg := err.Error()
	if !strings.Contains(msg, `f.csv:1: column 2 ("n"): bad [type]`) || !strings.Contains(msg, "and 951 more") || !strings.Contains(msg, "ragged-row: 1") {
		t.Fatalf("message:\n%s", msg)
	}
	if n := strings.Count(msg, "\n"); n > DefaultMaxFindings+2 {
		t.Fatalf("%d lines", n)
	}
	var none Findings
	if none.Err() != nil {
		t.Fatal("no findings should be no error")
	}
}
