package source

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	pqformat "github.com/parquet-go/parquet-go/format"

	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/format"
)

// parquetReader reads a Parquet file's rows, row group by row group, a
// thousand rows at a time taken column by column from the pages, so
// memory does not grow with the file. Its
// header is the schema's top-level column names; each column's Power BI
// type comes from the schema (Declared), never from inference:
//
//	INT32, INT64 (signed or not, any width)      Int64
//	FLOAT, DOUBLE                                  Double
//	DECIMAL (INT32, INT64, fixed or variable bytes) Decimal
//	BOOLEAN                                        Boolean
//	STRING/UTF8, ENUM, JSON, UUID                  String
//	BYTE_ARRAY without annotation                  String (each value must be UTF-8)
//	DATE, TIMESTAMP (any unit), INT96              Datetime
//
// A TIMESTAMP adjusted to UTC is written as UTC; one that is not (a local
// time) is written as it reads. INT96 is the legacy timestamp of Impala and
// Spark, in UTC. A nested column (a group, a list, a map), a repeated one,
// and a type outside the table (TIME, INTERVAL, BSON, FLOAT16, an
// unannotated FIXED_LEN_BYTE_ARRAY, ...) are findings at the header: no row
// is read then. A value is written as the text a CSV would hold, which
// schema.AppendJSON converts: decimals exactly, timestamps to the
// millisecond Power BI keeps.
type parquetReader struct {
	name   string
	file   *parquet.File
	cols   []parquetColumn
	flaws  []*recordError
	groups []parquet.RowGroup
	group  int               // the next row group
	left   int64             // rows of the current row group not yet in vals
	chunks []parquetChunk    // the current row group's, one per column
	vals   [][]parquet.Value // per column, the values of the next rows
	n, at  int               // rows in vals, the next one
	row    int               // rows read (1-based number of the current row)
	// started: the header was read; header: a row was.
	started, header bool

	// The current batch, column by column (filled by fill): each value's
	// flags, read when a row is scanned, and its text, written for a
	// whole column the first time one of its values is asked for (Field),
	// so that the scan, which reads no value it knows converts, writes
	// none of them, and a string is the page's own bytes.
	cur   int       // the current row's index in the batch
	flags [][]uint8 // per column and row: valueNull, valueValid
	text  [][]byte  // per column, its values written back to back
	ends  [][]int32 // per column and row, the end of its value in text
	built []bool    // per column: text and ends are the batch's
	sums  []uint64  // per row, RecordSum, once summed
	seed  maphash.Seed
	sum   uint64 // the header's
	names []string
}

// parquetBatch is how many rows the reader takes from each column at a
// time: enough to read a column's values in runs, few enough that memory
// stays small (parquetBatch × columns values of 24 bytes).
const parquetBatch = 1024

// A value's flags.
const (
	valueNull  uint8 = 1 << iota
	valueValid       // known to convert to its column's type (kindValid)
)

// parquetChunk reads one column chunk, page by page. A value read from a
// page points into the page's buffers, so the pages of the values in use
// are released (given back to parquet-go's pool, which the next pages
// reuse) only once the reader moves past those values.
type parquetChunk struct {
	pages parquet.Pages
	page  parquet.Page // the page being read
	vals  parquet.ValueReader
	done  []parquet.Page // pages read to their end, released at the next fill
}

// parquetColumn is one top-level column: its type and how its values are
// written.
type parquetColumn struct {
	name   string
	typ    schema.Type
	origin string // "Parquet DECIMAL(18,2)"
	write  func(dst []byte, v parquet.Value) []byte
	// raw: a value is its bytes as they are (a string), which Field gives
	// without a copy.
	raw bool
	// valid, when set, says a value converts to typ for sure (an INT32, a
	// boolean, a timestamp within years 1 to 9999): the scan need not
	// convert it to know.
	valid func(v parquet.Value) bool
}

func newParquetReader(ra io.ReaderAt, size int64, name string, seed maphash.Seed) (*parquetReader, error) {
	f, err := openParquet(ra, size)
	if err != nil {
		return nil, &recordError{Rule: schema.RuleUnreadable, Fatal: true,
			Msg: fmt.Sprintf("the file is not a readable Parquet file (%v): it may be truncated or damaged: write it again", err), FormatHint: true}
	}
	r := &parquetReader{name: name, file: f, groups: f.RowGroups(), seed: seed}
	r.mapSchema(f.Metadata().Schema)
	r.names = make([]string, len(r.cols))
	for i, c := range r.cols {
		r.names[i] = c.name
	}
	return r, nil
}

// openParquet opens the file; the library's panics on a damaged footer
// are errors.
func openParquet(ra io.ReaderAt, size int64) (f *parquet.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("%v", p)
		}
	}()
	return parquet.OpenFile(ra, size, parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true))
}

// mapSchema reads the flat schema's columns: the root's children, each a
// leaf that is not repeated.
func (r *parquetReader) mapSchema(elems []pqformat.SchemaElement) {
	if len(elems) == 0 {
		r.flaws = append(r.flaws, &recordError{Rule: schema.RuleUnreadable, Msg: "the file has no schema"})
		return
	}
	children, _ := elems[0].NumChildren.Get()
	i := 1
	for c := 0; c < int(children) && i < len(elems); c++ {
		e := elems[i]
		col := len(r.cols) + 1
		n, _ := e.NumChildren.Get()
		if n > 0 {
			r.flaws = append(r.flaws, &recordError{Column: col, Rule: schema.RuleNested,
				Msg: fmt.Sprintf("the column is nested (%s): Power BI's tables are flat; flatten it into columns of their own before writing", nestedKind(e))})
			r.cols = append(r.cols, parquetColumn{name: e.Name, origin: "Parquet group"})
			i = skipSubtree(elems, i)
			continue
		}
		i++
		if rep, _ := e.RepetitionType.Get(); rep == pqformat.Repeated {
			r.flaws = append(r.flaws, &recordError{Column: col, Rule: schema.RuleNested,
				Msg: "the column is repeated (a list of values per row): Power BI's tables hold one value per cell; flatten it before writing"})
			r.cols = append(r.cols, parquetColumn{name: e.Name, origin: "Parquet repeated"})
			continue
		}
		pc, err := mapParquetType(e)
		pc.name = e.Name
		if err != nil {
			r.flaws = append(r.flaws, &recordError{Column: col, Rule: schema.RuleUnsupportedType, Msg: err.Error()})
		}
		r.cols = append(r.cols, pc)
	}
}

// skipSubtree is the index after element i and its descendants.
func skipSubtree(elems []pqformat.SchemaElement, i int) int {
	n, _ := elems[i].NumChildren.Get()
	i++
	for c := 0; c < int(n) && i < len(elems); c++ {
		i = skipSubtree(elems, i)
	}
	return i
}

func nestedKind(e pqformat.SchemaElement) string {
	switch e.LogicalType.Value.(type) {
	case *pqformat.ListType:
		return "a LIST"
	case *pqformat.MapType:
		return "a MAP"
	}
	if ct, ok := e.ConvertedType.Get(); ok {
		switch ct {
		case deprecated.List:
			return "a LIST"
		case deprecated.Map, deprecated.MapKeyValue:
			return "a MAP"
		}
	}
	return "a group of fields"
}

// mapParquetType maps a leaf's physical and logical types (or its legacy
// converted type) to a Power BI type and a writer of its values.
func mapParquetType(e pqformat.SchemaElement) (parquetColumn, error) {
	phys, _ := e.Type.Get()
	ct, hasCT := e.ConvertedType.Get()
	physName := phys.String()
	unsupported := func(what string) (parquetColumn, error) {
		return parquetColumn{origin: "Parquet " + what}, fmt.Errorf("the column's type %s has no Power BI type: convert it (to a string, a number or a timestamp) before writing", what)
	}
	switch lt := e.LogicalType.Value.(type) {
	case *pqformat.DecimalType:
		return decimalColumn(phys, int(lt.Precision), int(lt.Scale))
	case *pqformat.TimestampType:
		return timestampColumn(phys, lt.Unit.Value, lt.IsAdjustedToUTC)
	case *pqformat.DateType:
		return dateColumn(phys)
	case *pqformat.StringType, *pqformat.EnumType, *pqformat.JsonType:
		return stringColumn(phys, "Parquet "+lt.String())
	case *pqformat.UUIDType:
		if phys == pqformat.FixedLenByteArray {
			return parquetColumn{typ: schema.String, origin: "Parquet UUID", write: writeUUID}, nil
		}
	case *pqformat.IntType:
		if phys == pqformat.Int32 || phys == pqformat.Int64 {
			return intColumn(phys, int(lt.BitWidth), lt.IsSigned)
		}
	case nil:
	default:
		return unsupported(lt.String())
	}
	if hasCT {
		switch ct {
		case deprecated.Decimal:
			p, _ := e.Precision.Get()
			s, _ := e.Scale.Get()
			return decimalColumn(phys, int(p), int(s))
		case deprecated.TimestampMillis:
			return timestampColumn(phys, &pqformat.MilliSeconds{}, true)
		case deprecated.TimestampMicros:
			return timestampColumn(phys, &pqformat.MicroSeconds{}, true)
		case deprecated.Date:
			return dateColumn(phys)
		case deprecated.UTF8, deprecated.Enum, deprecated.Json:
			return stringColumn(phys, "Parquet "+convertedName(ct))
		case deprecated.Int8, deprecated.Int16, deprecated.Int32, deprecated.Int64:
			return intColumn(phys, 0, true)
		case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
			return intColumn(phys, 0, false)
		default:
			return unsupported(convertedName(ct))
		}
	}
	switch phys {
	case pqformat.Boolean:
		return parquetColumn{typ: schema.Boolean, origin: "Parquet BOOLEAN", write: func(dst []byte, v parquet.Value) []byte {
			return strconv.AppendBool(dst, v.Boolean())
		}, valid: always}, nil
	case pqformat.Int32, pqformat.Int64:
		return intColumn(phys, 0, true)
	case pqformat.Float:
		return parquetColumn{typ: schema.Double, origin: "Parquet FLOAT", write: func(dst []byte, v parquet.Value) []byte {
			return strconv.AppendFloat(dst, float64(v.Float()), 'g', -1, 32)
		}}, nil
	case pqformat.Double:
		return parquetColumn{typ: schema.Double, origin: "Parquet DOUBLE", write: func(dst []byte, v parquet.Value) []byte {
			if f := v.Double(); !math.IsNaN(f) && !math.IsInf(f, 0) {
				return schema.AppendDouble(dst, f)
			}
			return strconv.AppendFloat(dst, v.Double(), 'g', -1, 64) // NaN, +Inf: a finding
		}, valid: func(v parquet.Value) bool { f := v.Double(); return !math.IsNaN(f) && !math.IsInf(f, 0) }}, nil
	case pqformat.ByteArray:
		return stringColumn(phys, "Parquet BYTE_ARRAY")
	case pqformat.Int96:
		return parquetColumn{typ: schema.Datetime, origin: "Parquet INT96 timestamp", write: writeInt96}, nil
	}
	return unsupported(physName)
}

// convertedName names a legacy converted type.
func convertedName(ct deprecated.ConvertedType) string {
	names := map[deprecated.ConvertedType]string{deprecated.UTF8: "UTF8", deprecated.Enum: "ENUM", deprecated.Json: "JSON",
		deprecated.Bson: "BSON", deprecated.Interval: "INTERVAL", deprecated.TimeMillis: "TIME_MILLIS", deprecated.TimeMicros: "TIME_MICROS",
		deprecated.Map: "MAP", deprecated.MapKeyValue: "MAP_KEY_VALUE", deprecated.List: "LIST"}
	if n, ok := names[ct]; ok {
		return n
	}
	return fmt.Sprintf("converted type %d", int32(ct))
}

func intColumn(phys pqformat.Type, bits int, signed bool) (parquetColumn, error) {
	origin := "Parquet " + phys.String()
	if bits > 0 {
		origin = fmt.Sprintf("Parquet INT(%d, %s)", bits, map[bool]string{true: "signed", false: "unsigned"}[signed])
	}
	c := parquetColumn{typ: schema.Int64, origin: origin, valid: always}
	switch {
	case phys == pqformat.Int32 && signed:
		c.write = func(dst []byte, v parquet.Value) []byte { return strconv.AppendInt(dst, int64(v.Int32()), 10) }
	case phys == pqformat.Int32:
		c.write = func(dst []byte, v parquet.Value) []byte {
			return strconv.AppendUint(dst, uint64(uint32(v.Int32())), 10)
		}
	case signed:
		c.write = func(dst []byte, v parquet.Value) []byte { return strconv.AppendInt(dst, v.Int64(), 10) }
		c.valid = func(v parquet.Value) bool { n := v.Int64(); return n != math.MaxInt64 && n != math.MinInt64 }
	default: // beyond Int64's range, the value is a finding
		c.write = func(dst []byte, v parquet.Value) []byte { return strconv.AppendUint(dst, uint64(v.Int64()), 10) }
		c.valid = func(v parquet.Value) bool { return v.Int64() >= 0 && v.Int64() != math.MaxInt64 }
	}
	return c, nil
}

func stringColumn(phys pqformat.Type, origin string) (parquetColumn, error) {
	if phys != pqformat.ByteArray && phys != pqformat.FixedLenByteArray {
		return parquetColumn{origin: origin}, fmt.Errorf("the column is %s stored as %s, which pbiwb cannot read", origin, phys)
	}
	return parquetColumn{typ: schema.String, origin: origin, raw: true, write: func(dst []byte, v parquet.Value) []byte {
		return append(dst, v.ByteArray()...)
	}}, nil
}

func decimalColumn(phys pqformat.Type, precision, scale int) (parquetColumn, error) {
	c := parquetColumn{typ: schema.Decimal, origin: fmt.Sprintf("Parquet DECIMAL(%d,%d)", precision, scale)}
	switch phys {
	case pqformat.Int32:
		c.write = func(dst []byte, v parquet.Value) []byte { return appendScaled(dst, int64(v.Int32()), scale) }
	case pqformat.Int64:
		c.write = func(dst []byte, v parquet.Value) []byte { return appendScaled(dst, v.Int64(), scale) }
	case pqformat.ByteArray, pqformat.FixedLenByteArray:
		c.write = func(dst []byte, v parquet.Value) []byte {
			b := v.ByteArray()
			if len(b) <= 8 {
				var n int64
				if len(b) > 0 && b[0]&0x80 != 0 {
					n = -1
				}
				for _, x := range b {
					n = n<<8 | int64(x)
				}
				return appendScaled(dst, n, scale)
			}
			n := new(big.Int).SetBytes(b)
			if b[0]&0x80 != 0 { // two's complement
				n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
			}
			return appendScaledText(dst, n.String(), scale)
		}
	default:
		return c, fmt.Errorf("the column is a DECIMAL stored as %s, which the Parquet format does not allow", phys)
	}
	return c, nil
}

// appendScaled writes unscaled × 10^-scale exactly, trailing zeros of the
// fraction left out (Power BI's Decimal keeps 4 places).
func appendScaled(dst []byte, unscaled int64, scale int) []byte {
	if scale == 0 {
		return strconv.AppendInt(dst, unscaled, 10)
	}
	var tmp [24]byte
	return appendScaledText(dst, string(strconv.AppendInt(tmp[:0], unscaled, 10)), scale)
}

func appendScaledText(dst []byte, digits string, scale int) []byte {
	if digits[0] == '-' {
		dst = append(dst, '-')
		digits = digits[1:]
	}
	if scale <= 0 {
		dst = append(dst, digits...)
		for range -scale {
			dst = append(dst, '0')
		}
		return dst
	}
	for len(digits) <= scale {
		digits = "0" + digits
	}
	whole, frac := digits[:len(digits)-scale], digits[len(digits)-scale:]
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	dst = append(dst, whole...)
	if frac != "" {
		dst = append(append(dst, '.'), frac...)
	}
	return dst
}

func dateColumn(phys pqformat.Type) (parquetColumn, error) {
	if phys != pqformat.Int32 {
		return parquetColumn{origin: "Parquet DATE"}, fmt.Errorf("the column is a DATE stored as %s, which the Parquet format does not allow", phys)
	}
	return parquetColumn{typ: schema.Datetime, origin: "Parquet DATE", write: func(dst []byte, v parquet.Value) []byte {
		return appendDate(dst, int64(v.Int32()))
	}, valid: func(v parquet.Value) bool { return inYears(int64(v.Int32()) * 86400) }}, nil
}

func timestampColumn(phys pqformat.Type, unit pqformat.TimeUnitValue, utc bool) (parquetColumn, error) {
	name := "MILLIS"
	switch unit.(type) {
	case *pqformat.MicroSeconds:
		name = "MICROS"
	case *pqformat.NanoSeconds:
		name = "NANOS"
	}
	zone := "local"
	if utc {
		zone = "UTC"
	}
	c := parquetColumn{typ: schema.Datetime, origin: fmt.Sprintf("Parquet TIMESTAMP(%s, %s)", name, zone)}
	if phys != pqformat.Int64 {
		return c, fmt.Errorf("the column is a TIMESTAMP stored as %s, which the Parquet format does not allow", phys)
	}
	per := int64(unit.Duration())
	c.write = func(dst []byte, v parquet.Value) []byte {
		n := v.Int64()
		sec, frac := n/(int64(time.Second)/per), n%(int64(time.Second)/per)
		if frac < 0 {
			sec, frac = sec-1, frac+int64(time.Second)/per
		}
		return appendStamp(dst, sec, int(frac*per/1e6), utc)
	}
	c.valid = func(v parquet.Value) bool { return inYears(v.Int64() / (int64(time.Second) / per)) }
	return c, nil
}

// writeInt96 writes a legacy INT96 timestamp: nanoseconds of the day, then
// the Julian day, little-endian.
func writeInt96(dst []byte, v parquet.Value) []byte {
	i := v.Int96()
	nanos := int64(uint64(i[1])<<32 | uint64(i[0]))
	days := int64(i[2]) - 2440588 // the Julian day of 1970-01-01
	return appendStamp(dst, days*86400+nanos/1e9, int(nanos%1e9/1e6), true)
}

func always(parquet.Value) bool { return true }

// inYears: sec seconds after the epoch fall within years 1 to 9999, which
// a Datetime holds.
func inYears(sec int64) bool { return sec >= -62135596800+86400 && sec <= 253402300799-86400 }

// appendDate writes the day days after 1970-01-01 as 2006-01-02 (the
// proleptic Gregorian calendar, as Parquet's DATE is), without time's
// formatting, which costs a third of a Parquet read.
func appendDate(dst []byte, days int64) []byte {
	// Howard Hinnant's civil_from_days.
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	if y < 0 || y > 9999 { // no Datetime: the conversion reports it
		return strconv.AppendInt(dst, y, 10)
	}
	dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
	return dst
}

// appendStamp writes sec seconds and ms milliseconds after the epoch as
// 2006-01-02T15:04:05.000, with a Z when utc.
func appendStamp(dst []byte, sec int64, ms int, utc bool) []byte {
	days, s := sec/86400, sec%86400
	if s < 0 {
		days, s = days-1, s+86400
	}
	dst = appendDate(dst, days)
	h, mi, se := s/3600, s/60%60, s%60
	dst = append(dst, 'T', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':',
		byte('0'+se/10), byte('0'+se%10), '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	if utc {
		dst = append(dst, 'Z')
	}
	return dst
}

func writeUUID(dst []byte, v parquet.Value) []byte {
	b := v.ByteArray()
	const hexd = "0123456789abcdef"
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexd[x>>4], hexd[x&15])
	}
	return dst
}

// Declared are the schema's types (Unknown for a column with a flaw).
func (r *parquetReader) Declared() []schema.Column {
	d := make([]schema.Column, len(r.cols))
	for i, c := range r.cols {
		d[i] = schema.Column{Name: c.name, Type: c.typ}
	}
	return d
}

// Flaws are the schema's findings: when there are some, no row is read.
func (r *parquetReader) Flaws() []*recordError { return r.flaws }

// Origins are the columns' types as the file states them.
func (r *parquetReader) Origins() []string {
	o := make([]string, len(r.cols))
	for i, c := range r.cols {
		o[i] = c.origin
	}
	return o
}

func (r *parquetReader) Place(line, col int) string {
	return fmt.Sprintf("%s, row %s", r.name, format.Thousands(int64(line)))
}

func (r *parquetReader) Line() int    { return r.row }
func (r *parquetReader) Close() error { return r.closeRows() }

// RecordSum is a hash of the row's values, in column order, and of which
// are NULL: the batch's rows are summed together, a column at a time.
func (r *parquetReader) RecordSum() uint64 {
	if !r.header {
		return r.sum
	}
	if len(r.sums) == 0 {
		r.sumBatch()
	}
	return r.sums[r.cur]
}

func (r *parquetReader) sumBatch() {
	r.sums = r.sums[:0]
	for range r.n {
		r.sums = append(r.sums, r.sum)
	}
	keep := r.cur
	for i := range r.cols {
		null := uint64(i) + 0x9e3779b97f4a7c15 // NULL, which no value's hash is but by chance
		for j := range r.n {
			x := null
			if r.flags[i][j]&valueNull == 0 {
				r.cur = j
				x = maphash.Bytes(r.seed, r.Field(i))
			}
			r.sums[j] = bits.RotateLeft64(r.sums[j], 27) ^ x
		}
	}
	r.cur = keep
}

// Quoted: a value that is not null, so an empty string stays one.
func (r *parquetReader) Quoted(i int) bool {
	return r.header && r.flags[i][r.cur]&valueNull == 0
}

func (r *parquetReader) NumFields() int { return len(r.names) }

// Kind: kindValid for a value known to convert to its column's type.
func (r *parquetReader) Kind(i int) kind {
	if r.header && r.flags[i][r.cur]&valueValid != 0 {
		return kindValid
	}
	return kindInfer
}

// Field is column i's value as text: a string's bytes as the page holds
// them, any other value as written for its whole column.
func (r *parquetReader) Field(i int) []byte {
	if !r.header {
		return []byte(r.names[i])
	}
	j := r.cur
	if r.flags[i][j]&valueNull != 0 {
		return nil
	}
	if r.cols[i].raw {
		return r.vals[i][j].ByteArray()
	}
	if !r.built[i] {
		r.write(i)
	}
	start, end := int32(0), r.ends[i][j]
	if j > 0 {
		start = r.ends[i][j-1]
	}
	return r.text[i][start:end:end]
}

// write writes column i's values of the batch as text.
func (r *parquetReader) write(i int) {
	c, t, ends := &r.cols[i], r.text[i][:0], r.ends[i][:r.n]
	for j, v := range r.vals[i][:r.n] {
		if r.flags[i][j]&valueNull == 0 && c.write != nil {
			t = c.write(t, v)
		}
		ends[j] = int32(len(t))
	}
	r.text[i], r.built[i] = t, true
}

// closeRows closes the current row group's column chunks.
func (r *parquetReader) closeRows() error {
	var err error
	for i := range r.chunks {
		if e := r.chunks[i].close(); e != nil && err == nil {
			err = e
		}
	}
	r.chunks = r.chunks[:0]
	return err
}

// Read reads the header first, then each row.
func (r *parquetReader) Read() error {
	if !r.started {
		r.started = true
		var h uint64
		for _, n := range r.names {
			h = h*31 ^ maphash.String(r.seed, n)
		}
		r.sum = h
		return nil
	}
	r.header = true
	if len(r.flaws) > 0 {
		return io.EOF
	}
	for r.at >= r.n {
		if err := r.fill(); err != nil {
			return err
		}
	}
	r.cur = r.at
	r.at++
	r.row++
	return nil
}

// fill reads the next rows, up to parquetBatch, column by column into
// vals, moving to the next row group at the end of one. Reading a column's
// values in runs, rather than assembling each row from every column, is
// what makes a Parquet file read faster than a CSV of the same rows.
func (r *parquetReader) fill() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = r.damaged(fmt.Errorf("%v", p))
		}
	}()
	for i := range r.chunks {
		r.chunks[i].release()
	}
	for r.left == 0 {
		if err := r.closeRows(); err != nil {
			return r.damaged(err)
		}
		if r.group >= len(r.groups) {
			r.n, r.at = 0, 0
			return io.EOF
		}
		g := r.groups[r.group]
		r.group++
		r.left = g.NumRows()
		if r.left == 0 {
			continue
		}
		cc := g.ColumnChunks()
		if len(cc) != len(r.cols) {
			return r.damaged(fmt.Errorf("row group %d has %d columns, the schema %d", r.group, len(cc), len(r.cols)))
		}
		for _, c := range cc {
			r.chunks = append(r.chunks, parquetChunk{pages: c.Pages()})
		}
	}
	n := int(min(r.left, parquetBatch))
	if r.vals == nil {
		k := len(r.cols)
		r.vals, r.flags, r.text, r.ends, r.built = make([][]parquet.Value, k), make([][]uint8, k), make([][]byte, k), make([][]int32, k), make([]bool, k)
		for i := range k {
			r.vals[i], r.flags[i], r.ends[i] = make([]parquet.Value, parquetBatch), make([]uint8, parquetBatch), make([]int32, parquetBatch)
		}
	}
	for i := range r.chunks {
		if err := r.chunks[i].read(r.vals[i][:n]); err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("column %q ends before its row group's %d rows", r.cols[i].name, r.groups[r.group-1].NumRows())
			}
			return r.damaged(err)
		}
		// The flags while the values are in the cache.
		c, flags := &r.cols[i], r.flags[i][:n]
		for j, v := range r.vals[i][:n] {
			switch {
			case v.IsNull():
				flags[j] = valueNull
			case c.valid != nil && c.valid(v):
				flags[j] = valueValid
			default:
				flags[j] = 0
			}
		}
		r.built[i] = false
	}
	r.left -= int64(n)
	r.n, r.at, r.sums = n, 0, r.sums[:0]
	return nil
}

// read fills dst with the chunk's next values, reading pages as it needs:
// io.EOF when the chunk ends first.
func (c *parquetChunk) read(dst []parquet.Value) error {
	for len(dst) > 0 {
		if c.vals == nil {
			p, err := c.pages.ReadPage()
			if err != nil {
				return err
			}
			c.page, c.vals = p, p.Values()
		}
		n, err := c.vals.ReadValues(dst)
		dst = dst[n:]
		if n == 0 && err == nil {
			err = io.EOF // a page that gives nothing is at its end
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return err
			}
			c.done = append(c.done, c.page)
			c.page, c.vals = nil, nil
		}
	}
	return nil
}

// release gives back the pages whose values are no longer in use.
func (c *parquetChunk) release() {
	for i, p := range c.done {
		parquet.Release(p)
		c.done[i] = nil
	}
	c.done = c.done[:0]
}

func (c *parquetChunk) close() error {
	c.release()
	if c.page != nil {
		parquet.Release(c.page)
		c.page, c.vals = nil, nil
	}
	return c.pages.Close()
}

func (r *parquetReader) damaged(err error) error {
	return &recordError{Line: r.row + 1, Rule: schema.RuleUnreadable, Fatal: true,
		Msg: fmt.Sprintf("the file cannot be read past this row (%v): it may be truncated or damaged (reading stopped here)", err)}
}
