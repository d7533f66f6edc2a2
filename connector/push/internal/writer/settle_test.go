package writer

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestSettle(t *testing.T) {
	one := []Candidate{{Index: 7, Rows: 10_000}}
	tests := []struct {
		name    string
		in      SettleInput
		want    Settlement
		problem SettleProblem
		msg     string
	}{
		{name: "did not land: resend", in: SettleInput{CountBefore: 500, AckedRows: 70_000, Counted: 70_500, Candidates: one},
			want: Settlement{Resend: []int{7}}},
		{name: "landed: acknowledge", in: SettleInput{CountBefore: 500, AckedRows: 70_000, Counted: 80_500, Candidates: one},
			want: Settlement{Landed: []int{7}}},
		{name: "someone else added rows", in: SettleInput{AckedRows: 70_000, Counted: 80_001, Candidates: one},
			problem: ForeignRows, msg: "someone else is writing"},
		{name: "someone deleted rows", in: SettleInput{AckedRows: 70_000, Counted: 60_000, Candidates: one},
			problem: ForeignRows, msg: "holds 60,000 rows but this push accounts for 70,000"},
		{name: "no candidates, count matches", in: SettleInput{CountBefore: 3, AckedRows: 7, Counted: 10}},
		{name: "no candidates, count differs", in: SettleInput{CountBefore: 3, AckedRows: 7, Counted: 11}, problem: ForeignRows},
		{name: "distinct sizes tell which landed",
			in:   SettleInput{Counted: 9_998 + 9_992, Candidates: []Candidate{{10, 9_999}, {11, 9_998}, {12, 9_996}, {13, 9_992}, {14, 9_984}}},
			want: Settlement{Landed: []int{11, 13}, Resend: []int{10, 12, 14}}},
		{name: "all landed", in: SettleInput{Counted: 30_000, Candidates: []Candidate{{1, 10_000}, {2, 20_000}}},
			want: Settlement{Landed: []int{1, 2}}},
		{name: "equal sizes are undecidable",
			in:      SettleInput{Counted: 20_000, Candidates: []Candidate{{1, 10_000}, {2, 10_000}, {3, 10_000}}},
			problem: Undecidable, msg: "cannot tell which landed"},
		{name: "equal sizes, none landed, is decidable",
			in:   SettleInput{Counted: 0, Candidates: []Candidate{{1, 10_000}, {2, 10_000}}},
			want: Settlement{Resend: []int{1, 2}}},
		{name: "FIFO that may have evicted", in: SettleInput{AckedRows: 195_000, Counted: 200_000, Candidates: one, TableCap: 200_000},
			problem: Unverifiable, msg: "FIFO"},
		{name: "FIFO below its cap counts", in: SettleInput{AckedRows: 100_000, Counted: 110_000, Candidates: one, TableCap: 200_000},
			want: Settlement{Landed: []int{7}}},
		{name: "too many", in: SettleInput{Candidates: make([]Candidate, 17)}, problem: TooManyCandidates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Settle(tt.in)
			if tt.problem != 0 {
				var se *SettleError
				if !errors.As(err, &se) || se.Problem != tt.problem {
					t.Fatalf("err %v, want problem %d", err, tt.problem)
				}
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("message %q lacks %q", err, tt.msg)
				}
				// The advice names the mode as the face does: flags here.
				se.Fields = flagNames{}
				if !strings.Contains(se.Error(), "push again with --mode replace") {
					t.Errorf("message %q does not advise the mode replace in the face's terms", se.Error())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
