package pbi

import (
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// seeds are the generators of seeded tables, by the name a table keeps in
// table.seed (and in the saved state) until its values are made.
var seeds = map[string]func(*table){
	seedSensorReadings: fillSensorReadings,
}

const seedSensorReadings = "sensorReadings"

// sensorFeed is Operations › Sensor Feed: a basicFIFO push dataset made by
// someone else (as Azure Stream Analytics makes them), its table Readings
// full to the FIFO size. Its rows are made only when something reads or
// changes them (table.fill), so the demo state stays small and quick to
// build; counting them needs nothing but the row count.
func sensorFeed(now time.Time) *dataset {
	return &dataset{
		ID: demo.SensorFeedDatasetID, Name: demo.SensorFeedDatasetName, Retention: "basicFIFO", Mode: "Push", Push: true,
		Created: now, ConfigBy: "streamanalytics@" + demo.TenantDomain,
		Tables: []*table{{Name: demo.SensorFeedTable, Rows: demo.SensorFeedRows, seed: seedSensorReadings, Columns: []*column{
			{Name: "Timestamp", DataType: typeDatetime}, {Name: "SensorId", DataType: typeString}, {Name: "Value", DataType: typeDouble},
		}}},
	}
}

// sensorEpoch is the first reading's time; readings follow every 10 seconds.
var sensorEpoch = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// sensorIDs are the sensors, in turn: S-01 … S-16.
var sensorIDs = func() []string {
	ids := make([]string, 16)
	for i := range ids {
		ids[i] = "S-" + string(rune('0'+(i+1)/10)) + string(rune('0'+(i+1)%10))
	}
	return ids
}()

// fillSensorReadings makes the t.Rows readings: row i is at sensorEpoch +
// 10·i seconds (RFC 3339 in UTC, as sent by a client), from sensor
// sensorIDs[i%16], with a value between 15.00 and 24.99. The timestamps share
// one backing string and the sensor ids sixteen: 200,000 rows take about
// 12 MB and 0.1 s to make.
func fillSensorReadings(t *table) {
	n := t.Rows
	const width = len("2006-01-02T15:04:05Z")
	buf := make([]byte, 0, n*width)
	for i := range n {
		buf = sensorEpoch.Add(time.Duration(i)*10*time.Second).AppendFormat(buf, time.RFC3339)
	}
	all := string(buf)
	ts, sensor, value := t.column("Timestamp"), t.column("SensorId"), t.column("Value")
	ts.strs, sensor.strs, value.floats = make([]string, n), make([]string, n), make([]float64, n)
	for i := range n {
		ts.strs[i] = all[i*width : (i+1)*width]
		sensor.strs[i] = sensorIDs[i%len(sensorIDs)]
		value.floats[i] = float64(1500+(i*7919)%1000) / 100 // whole hundredths, so each prints as two decimals
	}
	for _, c := range t.Columns {
		c.nulls = make([]bool, n)
	}
}
