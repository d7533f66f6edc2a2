package domoapi

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// SalesOrdersRows is the row count of the demo DataSet.
const SalesOrdersRows = 5000

// LargeDataSetRows is the row count of LargeDataSetID.
const LargeDataSetRows = 1_000_000

// Export formats of DATE and DATETIME values (UNCONFIRMED, docs/sources.md, Domo: the CSV export;
// chosen like the query API sample: ISO 8601, UTC, no zone designator).
const (
	DateLayout     = "2006-01-02"
	DateTimeLayout = "2006-01-02T15:04:05"
)

var salesOrdersColumns = []Column{
	{"Order ID", "LONG"},       // 0: 100001…, never NULL
	{"Order Date", "DATE"},     // 1
	{"Shipped At", "DATETIME"}, // 2: NULL while not shipped
	{"Customer", "STRING"},     // 3: commas, quotes, newlines, non-ASCII, "" and NULL
	{"Postal Code", "STRING"},  // 4: digits with leading zeros: must stay text
	{"Region", "STRING"},       // 5
	{"Product", "STRING"},      // 6
	{"Quantity", "LONG"},       // 7: negative for returns, NULL sometimes
	{"Unit Price", "DECIMAL"},  // 8: exact decimals, some beyond float64 precision
	{"Discount", "DOUBLE"},     // 9
	{"Weight kg", "DOUBLE"},    // 10
	{"Customer Key", "LONG"},   // 11: 64-bit keys beyond 2^53, negatives, both extremes
	{"Notes", "STRING"},        // 12: mostly NULL; look-alikes of NULL that are text
	{"Updated At", "DATETIME"}, // 13: never NULL
}

// SalesOrders is the demo DataSet of docs/sandbox.md ("Sales Orders"): 5,000
// deterministic rows covering every Domo type with NULLs, empty strings,
// quoting, non-ASCII text and 64-bit integers. Tests compare what a push
// landed against Row(i).
func SalesOrders() *Table {
	return salesOrdersTable(demo.DomoDataSetID, demo.DomoDataSetName,
		"Orders of the sandbox's demo company: every Domo column type, NULLs and awkward text.", SalesOrdersRows)
}

// LargeSalesOrders is the million-row DataSet LargeDataSetID: the same columns
// and generator as SalesOrders (its first 5,000 rows are equal).
func LargeSalesOrders() *Table {
	return salesOrdersTable(LargeDataSetID, LargeDataSetName,
		"Sales Orders at a million rows, to try long pushes and streaming.", LargeDataSetRows)
}

func largeSalesOrders() *Table { return LargeSalesOrders() }

func salesOrdersTable(id, name, desc string, rows int) *Table {
	return &Table{
		ID: id, Name: name, Description: desc,
		Owner:     Owner{ID: demoUserID, Name: demoUserName},
		Columns:   salesOrdersColumns,
		RowCount:  rows,
		CreatedAt: time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC),
		UpdatedAt: time.Date(2026, 11, 2, 6, 15, 0, 0, time.UTC), DataCurrentAt: time.Date(2026, 11, 2, 6, 15, 0, 0, time.UTC),
		fill: fillSalesOrder,
	}
}

var (
	customers = []string{
		"Contoso Ltd", "Fabrikam, Inc.", `The "Best" Bikes`, "Müller & Söhne GmbH", "Zoë's Café",
		"東京商事株式会社", "Ørsted Wind A/S", "Acme Corp\nAccounts Payable", "O'Brien Hardware",
		"Société Générale d'Équipement", "🚀 Rocket Supplies", "Smith, Jones, and \"Partners\"",
		"Αθήνα Trading", "Łódź Logistics", "  padded name  ", "Northwind Traders",
	}
	regions  = []string{"North", "South", "East", "West", "Île-de-France", "São Paulo", ""}
	products = []string{
		`27" Monitor`, "Cable, USB-C (2 m)", "Desk Chair", "Laptop Stand", "Keyboard – ISO layout",
		"Mouse", "Headset\nwith microphone", "Docking Station", "Webcam 4K", "Notebook (A5)",
	}
	notes = []string{
		"NULL", `\N`, "null", "N/A", "Leave at the \"back\" door, ring twice", "Line one\nLine two\nLine three",
		"Tab\tseparated", "Résumé attached; see §3", "=SUM(A1:A2)", "Call before delivery, please",
		" leading space", "trailing space ", "0", "-", "😀 thanks!",
	}
	// Customer keys that break float64 (2^53 + 1 and friends) and the extremes
	// Power BI's Int64 accepts (it refuses -2^63 and 2^63-1 themselves).
	edgeKeys = []int64{math.MaxInt64 - 1, math.MinInt64 + 1, 1<<53 + 1, -(1<<53 + 1), 0, -1, 9_007_199_254_740_993, 1<<62 + 7}
	// Unit prices with more significant digits than a float64 holds.
	edgePrices = []string{"1234567890123456.78", "-0.01", "0.00", "99999999999999999.99"}
)

var dateBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// fillSalesOrder generates row i from its own random stream, so any row can
// be produced without the ones before it.
func fillSalesOrder(i int, row []Value) {
	rng := rand.New(rand.NewPCG(0x5a1e5_0bde85, uint64(i)))
	pick := func(p float64) bool { return rng.Float64() < p }
	text := func(s string) Value { return Value{Text: s} }
	null := Value{Null: true}

	row[0] = text(strconv.Itoa(100001 + i))

	ordered := dateBase.AddDate(0, 0, rng.IntN(1000))
	row[1] = text(ordered.Format(DateLayout))

	if pick(0.08) {
		row[2] = null
	} else {
		shipped := ordered.Add(time.Duration(rng.IntN(14*24*3600)) * time.Second)
		row[2] = text(shipped.Format(DateTimeLayout))
	}

	switch {
	case i%97 == 3:
		row[3] = null
	case i%89 == 5:
		row[3] = text("")
	default:
		row[3] = text(customers[rng.IntN(len(customers))])
	}

	row[4] = text(fmt.Sprintf("%05d", rng.IntN(100000)))
	row[5] = text(regions[rng.IntN(len(regions))])
	row[6] = text(products[rng.IntN(len(products))])

	switch {
	case pick(0.02):
		row[7] = null
	case pick(0.05):
		row[7] = text(strconv.Itoa(-1 - rng.IntN(5))) // a return
	default:
		row[7] = text(strconv.Itoa(1 + rng.IntN(50)))
	}

	if i < len(edgePrices) {
		row[8] = text(edgePrices[i])
	} else {
		cents := rng.IntN(500000) + 1
		if pick(0.03) {
			cents = -cents // a credit note
		}
		row[8] = text(formatCents(cents))
	}

	switch {
	case pick(0.1):
		row[9] = null
	default:
		row[9] = text(strconv.FormatFloat([]float64{0, 0.05, 0.1, 0.125, 1.0 / 3, 0.2}[rng.IntN(6)], 'f', -1, 64))
	}

	switch {
	case pick(0.04):
		row[10] = null
	case i%500 == 7:
		row[10] = text("0.0000001")
	default:
		row[10] = text(strconv.FormatFloat(float64(rng.IntN(2_000_000)-1000)/1000, 'f', -1, 64))
	}

	if i < len(edgeKeys) {
		row[11] = text(strconv.FormatInt(edgeKeys[i], 10))
	} else {
		key := int64(rng.Uint64())
		if key == math.MaxInt64 || key == math.MinInt64 {
			key /= 2
		}
		row[11] = text(strconv.FormatInt(key, 10))
	}

	if pick(0.7) {
		row[12] = null
	} else if pick(0.1) {
		row[12] = text("")
	} else {
		row[12] = text(notes[rng.IntN(len(notes))])
	}

	row[13] = text(ordered.Add(time.Duration(rng.IntN(400*24*3600)) * time.Second).Format(DateTimeLayout))
}

func formatCents(c int) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// restricted is RestrictedDataSetID: owned by another user, so the demo
// clients may see that it exists but not read it.
func restricted() *Table {
	return &Table{
		ID: RestrictedDataSetID, Name: RestrictedDataSetName,
		Description: "Salaries; owned by the Finance team and not shared with the demo user.",
		Owner:       Owner{ID: otherOwnerID, Name: otherOwnerName},
		Columns: []Column{
			{"Employee", "STRING"}, {"Department", "STRING"}, {"Salary", "DECIMAL"}, {"Start Date", "DATE"},
		},
		RowCount:  12,
		CreatedAt: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
		UpdatedAt: time.Date(2026, 10, 30, 17, 45, 0, 0, time.UTC), DataCurrentAt: time.Date(2026, 10, 30, 17, 45, 0, 0, time.UTC),
		fill: func(i int, row []Value) {
			row[0] = Value{Text: fmt.Sprintf("Employee %02d", i+1)}
			row[1] = Value{Text: []string{"Finance", "Sales", "Operations"}[i%3]}
			row[2] = Value{Text: formatCents(4_500_000 + i*125_000)}
			row[3] = Value{Text: dateBase.AddDate(0, i, 0).Format(DateLayout)}
		},
	}
}
