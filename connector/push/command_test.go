package push

import (
	"testing"
	"time"
)

func TestCommand(t *testing.T) {
	tests := []struct {
		global []string
		req    Request
		want   string
	}{
		{nil, Request{Input: "orders.csv", Group: "Sales Analytics", Dataset: "Orders", Table: "T"},
			"pbiwb push --input orders.csv --group 'Sales Analytics' --dataset Orders --table T"},
		{[]string{"--account", "demo"}, Request{Input: "domo:845305d8", Group: "g", Dataset: "it's", Table: "T", Mode: "append",
			Retention: "fifo", Columns: []string{"zip=String", "a b=Int64"}, Resume: true},
			"pbiwb push --account demo --input domo:845305d8 --group g --dataset 'it'\\''s' --table T --mode append --retention fifo " +
				"--column zip=String --column 'a b=Int64' --resume"},
		{nil, Request{Input: "x", Group: "$HOME", Dataset: "d", Table: "t", Mode: "replace", Retention: "none", Restart: true,
			MaxThrottleWait: DefaultMaxThrottleWait},
			"pbiwb push --input x --group '$HOME' --dataset d --table t --restart"},
		{[]string{"--sandbox", "https://127.0.0.1:1", "--request-timeout", "5m0s"},
			Request{Input: "a.csv", Group: "g", Dataset: "d", Table: "t", MaxThrottleWait: 2 * time.Hour},
			"pbiwb push --sandbox https://127.0.0.1:1 --request-timeout 5m0s --input a.csv --group g --dataset d --table t --max-throttle-wait 2h0m0s"},
	}
	for _, tt := range tests {
		if got := command(Services{Invocation: tt.global}, tt.req).Line(); got != tt.want {
			t.Errorf("command(%q, %+v)\n got %s\nwant %s", tt.global, tt.req, got, tt.want)
		}
	}
}
