package cmdline

import (
	"reflect"
	"testing"
	"time"
)

func TestLine(t *testing.T) {
	tests := []struct {
		name string
		p    Push
		want string
	}{
		{"defaults left out", Push{Input: "a.csv", Group: "g", Dataset: "d", Table: "t", Mode: "replace", Retention: "none"},
			"pbiwb push --input a.csv --group g --dataset d --table t"},
		{"spaces, quotes, unicode", Push{Account: "démo", Input: "/data/Q3 orders.csv", Group: "Sales Analytics", Dataset: "it's",
			Table: "Ventes été", Columns: []string{`a "b"=Int64`}},
			`pbiwb push --account 'démo' --input '/data/Q3 orders.csv' --group 'Sales Analytics' --dataset 'it'\''s' --table 'Ventes été' --column 'a "b"=Int64'`},
		{"shell characters", Push{Flags: []string{"--home", "$HOME/x"}, Input: "a;b", Group: "`g`", Dataset: "d*", Table: "t!"},
			`pbiwb push --home '$HOME/x' --input 'a;b' --group '` + "`g`" + `' --dataset 'd*' --table 't!'`},
		{"every flag", Push{Flags: []string{"--sandbox", "https://127.0.0.1:1"}, Account: "a", Input: "domo:1", Group: "g", Dataset: "d",
			Table: "t", Mode: "append", Retention: "fifo", Columns: []string{"x=String", "y=Int64"}, MaxThrottleWait: 2 * time.Hour, Resume: true},
			"pbiwb push --sandbox https://127.0.0.1:1 --account a --input domo:1 --group g --dataset d --table t --mode append --retention fifo " +
				"--column x=String --column y=Int64 --max-throttle-wait 2h0m0s --resume"},
		{"empty values left out", Push{Input: "a.csv", Table: "t", Restart: true}, "pbiwb push --input a.csv --table t --restart"},
	}
	for _, tt := range tests {
		if got := tt.p.Line(); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// What Line writes, Split reads back as the words of Args.
func TestSplitReadsLine(t *testing.T) {
	p := Push{Flags: []string{"--home", "/tmp/it's here"}, Account: "démo", Input: `C:\data\a b.csv`, Group: "Sales Analytics",
		Dataset: `quote"d`, Table: "tab\tle", Columns: []string{"a'b=Int64", "=String"}, Resume: true}
	words, err := Split(p.Line())
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]string{"pbiwb"}, p.Args()...); !reflect.DeepEqual(words, want) {
		t.Errorf("Split(Line)\n got %q\nwant %q", words, want)
	}
}

func TestSplit(t *testing.T) {
	for _, tt := range []struct {
		line string
		want []string
		err  bool
	}{
		{"  a  b\tc\n", []string{"a", "b", "c"}, false},
		{`a\ b 'c d' ''`, []string{"a b", "c d", ""}, false},
		{`'it'\''s'`, []string{"it's"}, false},
		{"'open", nil, true},
	} {
		got, err := Split(tt.line)
		if !reflect.DeepEqual(got, tt.want) || (err != nil) != tt.err {
			t.Errorf("Split(%q) = %q, %v; want %q, error %v", tt.line, got, err, tt.want, tt.err)
		}
	}
}
