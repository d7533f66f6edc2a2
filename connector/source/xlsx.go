package source

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"

	kflate "github.com/klauspost/compress/flate"

	"github.com/pbiwb/pbiwb/connector/schema"
)

// xlsxReader reads one sheet of an Excel workbook (.xlsx, Office Open
// XML) as a stream: the sheet's XML is decompressed and scanned as it is
// read (xmlScanner), so memory does not grow with the sheet; nor with
// the shared strings (the text of the cells), which a large table keeps
// in the spool (sst.go).
//
// The first row that has a value is the header; its last named cell ends
// the columns (empty trailing columns are left out). A cell's type is the
// workbook's: a number is a number, a number whose format is a date or a
// time is a Datetime (converted from Excel's serial, in the workbook's
// 1900 or 1904 date system), TRUE/FALSE a Boolean, and text stays text (a
// String, whatever it reads as). A formula is its value when last
// calculated; a formula with no saved value and an error value (#DIV/0!)
// are findings. A header cell inside a merged range, and a value in a
// column with no header, are findings too. Places are named as Excel does:
// book.xlsx[Sheet]!B12.
type xlsxReader struct {
	name, sheet string
	sheets      []string // the workbook's
	zf          io.ReadCloser
	x           *xmlScanner
	sst         *sharedStrings
	dates       []dateStyle // per cell style (xf index)
	date1904    bool
	mergeSrc    func() (io.ReadCloser, error) // the sheet again, to find merged header cells

	width   int // columns, from the header
	started bool
	header  bool
	headers []string
	rowNum  int
	hdrRow  int
	done    bool

	rec   []byte
	spans [][2]int
	null  []bool
	kinds []kind
	seen  []uint8 // per column: the cell types met (origin bits)
	extra int     // the first column beyond width that holds a value (0: none)
	cellV []byte
	cellS []byte
	is    []byte
	seed  maphash.Seed
	sum   uint64
}

// dateStyle is what a cell style's number format makes of a number.
type dateStyle uint8

const (
	notDate  dateStyle = iota
	dateOnly           // 2024-03-31
	dateTime           // 2024-03-31T14:05:00
)

// The origin bits of a column's cells.
const (
	seenNumber uint8 = 1 << iota
	seenDate
	seenDateTime
	seenBool
	seenText
)

var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// newXLSXReader opens sheet ("" is the first) of the workbook in ra; a
// large table of shared strings spills to tempDir (sst.go).
func newXLSXReader(ra io.ReaderAt, size int64, name, sheet, tempDir string, seed maphash.Seed) (*xlsxReader, error) {
	unreadable := func(msg string, args ...any) *recordError {
		return &recordError{Rule: schema.RuleUnreadable, Fatal: true, Msg: fmt.Sprintf(msg, args...)}
	}
	head := make([]byte, 8)
	if n, _ := ra.ReadAt(head, 0); n == 8 && bytes.Equal(head, oleMagic) {
		if oleEncrypted(ra, size) {
			return nil, unreadable("the workbook is password-protected (encrypted), and pbiwb cannot open it: in Excel, remove the password (File › Info › Protect Workbook › Encrypt with Password) and save a copy")
		}
		return nil, unreadable("the file is an Excel 97-2003 workbook (.xls) or another OLE document, not an .xlsx workbook: open it in Excel and save it as Excel Workbook (.xlsx)")
	}
	zr, err := zip.NewReader(ra, size)
	if err == nil {
		// klauspost/compress inflates about twice as fast as the standard
		// library, and a workbook is inflated once per pass.
		zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return kflate.NewReader(r) })
	}
	if err != nil {
		e := unreadable("the file is not a readable Excel workbook (%v): it may be truncated or damaged: open it in Excel and save it again", err)
		e.FormatHint = true
		return nil, e
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, "\\", "/"), "/"))] = f
	}
	part := func(p string) *zip.File { return files[strings.ToLower(p)] }
	wbFile := part("xl/workbook.xml")
	if wbFile == nil {
		return nil, unreadable("the file is a zip archive but not an Excel workbook (it has no xl/workbook.xml): give the workbook itself")
	}
	var wb struct {
		Pr struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			State string     `xml:"state,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := readXMLPart(wbFile, &wb); err != nil {
		return nil, unreadable("the workbook's list of sheets cannot be read (%v): it may be damaged; open it in Excel and save it again", err)
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if f := part("xl/_rels/workbook.xml.rels"); f != nil {
		if err := readXMLPart(f, &rels); err != nil {
			return nil, unreadable("the workbook's parts cannot be read (%v): it may be damaged; open it in Excel and save it again", err)
		}
	}
	var names []string
	chosen := -1
	for i, s := range wb.Sheets {
		names = append(names, strconv.Quote(s.Name))
		if sheet == "" && chosen < 0 && s.State != "hidden" && s.State != "veryHidden" {
			chosen = i
		}
		if sheet != "" && s.Name == sheet {
			chosen = i
		}
	}
	if len(wb.Sheets) == 0 {
		return nil, unreadable("the workbook has no sheets")
	}
	if chosen < 0 {
		msg := fmt.Sprintf("the workbook has no sheet %q: its sheets are %s", sheet, strings.Join(names, ", "))
		for _, s := range wb.Sheets {
			if strings.EqualFold(s.Name, sheet) {
				msg += fmt.Sprintf(" (did you mean %q? names are case-sensitive)", s.Name)
				break
			}
		}
		if sheet == "" {
			msg = "every sheet of the workbook is hidden: choose one of " + strings.Join(names, ", ")
		}
		return nil, &recordError{Rule: schema.RuleNoSheet, Fatal: true, Msg: msg}
	}
	ws := wb.Sheets[chosen]
	var rid string
	for _, a := range ws.Attrs {
		if a.Name.Local == "id" {
			rid = a.Value
		}
	}
	var target string
	for _, r := range rels.Rels {
		if r.ID == rid {
			target = r.Target
		}
	}
	if strings.HasPrefix(target, "/") {
		target = strings.TrimPrefix(target, "/")
	} else if target != "" {
		target = path.Join("xl", target)
	}
	sf := part(target)
	if sf == nil {
		return nil, unreadable("the sheet %q has no data in the file (part %q is missing): the workbook may be damaged; open it in Excel and save it again", ws.Name, target)
	}
	r := &xlsxReader{name: name, sheet: ws.Name, seed: seed, sheets: make([]string, len(wb.Sheets)),
		date1904: wb.Pr.Date1904 == "1" || wb.Pr.Date1904 == "true"}
	for i, s := range wb.Sheets {
		r.sheets[i] = s.Name
	}
	if f := part("xl/styles.xml"); f != nil {
		if r.dates, err = readDateStyles(f); err != nil {
			return nil, unreadable("the workbook's styles cannot be read (%v): it may be damaged; open it in Excel and save it again", err)
		}
	}
	if f := part("xl/sharedStrings.xml"); f != nil {
		if r.sst, err = readSharedStrings(f, tempDir); err != nil {
			return nil, unreadable("the workbook's text (shared strings) cannot be read (%v): it may be damaged; open it in Excel and save it again", err)
		}
	}
	if r.zf, err = sf.Open(); err != nil {
		if r.sst != nil {
			r.sst.close()
		}
		return nil, unreadable("the sheet %q cannot be read (%v): the workbook may be damaged", ws.Name, err)
	}
	r.x = newXMLScanner(r.zf)
	r.mergeSrc = sf.Open
	return r, nil
}

// oleEncrypted reports whether an OLE compound file holds an encrypted
// OOXML package: its directory names an EncryptionInfo stream (in UTF-16).
func oleEncrypted(ra io.ReaderAt, size int64) bool {
	want := []byte{}
	for _, c := range "EncryptionInfo" {
		want = append(want, byte(c), 0)
	}
	buf := make([]byte, 1<<16)
	for off := int64(0); off < size; off += int64(len(buf) - len(want)) {
		n, _ := ra.ReadAt(buf, off)
		if bytes.Contains(buf[:n], want) {
			return true
		}
		if n < len(buf) {
			break
		}
	}
	return false
}

func readXMLPart(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(v)
}

// readDateStyles reads which cell styles (xf) format numbers as dates.
func readDateStyles(f *zip.File) ([]dateStyle, error) {
	var st struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		Xfs []struct {
			NumFmtID int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := readXMLPart(f, &st); err != nil {
		return nil, err
	}
	custom := map[int]string{}
	for _, n := range st.NumFmts {
		custom[n.ID] = n.Code
	}
	out := make([]dateStyle, len(st.Xfs))
	for i, xf := range st.Xfs {
		if code, ok := custom[xf.NumFmtID]; ok {
			out[i] = formatDateStyle(code)
		} else {
			out[i] = builtinDateStyle(xf.NumFmtID)
		}
	}
	return out, nil
}

// builtinDateStyle: Excel's built-in number formats that are dates or
// times (ECMA-376 Part 1, 18.8.30, and the East Asian ones).
func builtinDateStyle(id int) dateStyle {
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id >= 34 && id <= 36, id >= 50 && id <= 58:
		return dateOnly
	case id >= 18 && id <= 22, id == 32, id == 33, id >= 45 && id <= 47:
		return dateTime
	}
	return notDate
}

// formatDateStyle reads a custom number format code: a date when, quoted
// text, escapes and [colour]/[locale] sections aside, it has a year, month,
// day, hour or second token ("yyyy-mm-dd", "d/m/yy h:mm", "mmm-yy"); a
// date-time when it has an hour, second or AM/PM. Elapsed time ([h]:mm) is
// a duration, a number.
func formatDateStyle(code string) dateStyle {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i] // the positive section decides
	}
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				i = len(code)
			} else {
				i += j + 1
			}
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				i = len(code)
				continue
			}
			inner := strings.ToLower(code[i+1 : i+j])
			if inner != "" && strings.Trim(inner, "hms") == "" {
				return notDate // elapsed time: a duration
			}
			i += j
		default:
			b.WriteByte(c | 0x20)
		}
	}
	s := b.String()
	if strings.Contains(s, "general") {
		s = strings.ReplaceAll(s, "general", "")
	}
	hasTime := strings.ContainsAny(s, "hs") || strings.Contains(s, "am/pm") || strings.Contains(s, "a/p")
	switch {
	case hasTime:
		return dateTime
	case strings.ContainsAny(s, "ydme"):
		if strings.ContainsAny(s, "e") && !strings.ContainsAny(s, "ydm") && strings.Contains(s, "0") {
			return notDate // scientific: 0.00e+00
		}
		if !strings.ContainsAny(s, "ydm") {
			return notDate
		}
		return dateOnly
	}
	return notDate
}

func (r *xlsxReader) Close() error {
	err := r.zf.Close()
	if r.sst != nil {
		err = errors.Join(err, r.sst.close())
	}
	return err
}

func (r *xlsxReader) Line() int         { return r.rowNum }
func (r *xlsxReader) RecordSum() uint64 { return r.sum }

func (r *xlsxReader) NumFields() int {
	if !r.header {
		return len(r.headers)
	}
	return r.width
}

func (r *xlsxReader) Field(i int) []byte {
	if !r.header {
		return []byte(r.headers[i])
	}
	return r.rec[r.spans[i][0]:r.spans[i][1]]
}

func (r *xlsxReader) Quoted(i int) bool { return r.header && !r.null[i] && r.kinds[i] == kindText }
func (r *xlsxReader) Kind(i int) kind {
	if !r.header {
		return kindInfer
	}
	return r.kinds[i]
}

// Place is the cell as Excel names it: book.xlsx[Sheet]!B12.
func (r *xlsxReader) Place(line, col int) string {
	if col <= 0 {
		return fmt.Sprintf("%s[%s], row %d", r.name, r.sheet, line)
	}
	return fmt.Sprintf("%s[%s]!%s%d", r.name, r.sheet, columnLetters(col), line)
}

// Origins name each column's cell types: "Excel date", "Excel number".
func (r *xlsxReader) Origins() []string {
	o := make([]string, r.width)
	for i := range o {
		var parts []string
		for _, k := range []struct {
			bit  uint8
			name string
		}{{seenNumber, "number"}, {seenDate, "date"}, {seenDateTime, "date and time"}, {seenBool, "boolean"}, {seenText, "text"}} {
			if r.seen[i]&k.bit != 0 {
				parts = append(parts, k.name)
			}
		}
		if len(parts) > 0 {
			o[i] = "Excel " + strings.Join(parts, ", ")
		}
	}
	return o
}

func columnLetters(col int) string {
	var b []byte
	for col > 0 {
		col--
		b = append([]byte{byte('A' + col%26)}, b...)
		col /= 26
	}
	return string(b)
}

// cellColumn is the 1-based column of a cell reference ("BC12" → 55).
func cellColumn(ref []byte) int {
	n := 0
	for _, c := range ref {
		switch {
		case c >= 'A' && c <= 'Z':
			n = n*26 + int(c-'A') + 1
		case c >= 'a' && c <= 'z':
			n = n*26 + int(c-'a') + 1
		default:
			return n
		}
	}
	return n
}

// Read reads the header row (the first with a value), then each row that
// has one; empty rows are skipped, as blank lines are in a CSV.
func (r *xlsxReader) Read() error {
	if !r.started {
		r.started = true
		for {
			cells, err := r.readRow(true)
			if err != nil {
				return err
			}
			if cells {
				break
			}
		}
		// The header's cells are the first row's, up to its last named one.
		r.headers = r.headers[:0]
		for i := range r.spans {
			if r.null[i] || len(r.rec[r.spans[i][0]:r.spans[i][1]]) == 0 {
				r.headers = append(r.headers, "")
				continue
			}
			r.headers = append(r.headers, string(r.rec[r.spans[i][0]:r.spans[i][1]]))
		}
		for len(r.headers) > 0 && r.headers[len(r.headers)-1] == "" {
			r.headers = r.headers[:len(r.headers)-1]
		}
		r.width = len(r.headers)
		r.seen = make([]uint8, r.width)
		var h uint64
		for _, n := range r.headers {
			h = h*31 ^ maphash.String(r.seed, n)
		}
		r.sum = h
		return r.mergedHeader()
	}
	r.header = true
	for {
		cells, err := r.readRow(false)
		if err != nil {
			return err
		}
		if r.extra > 0 {
			col := r.extra
			return &recordError{Line: r.rowNum, Column: col, Rule: schema.RuleRaggedRow,
				Msg: fmt.Sprintf("the cell has a value, but its column has no name in the header row (%s%d): name the column there, or clear the cell", columnLetters(col), r.hdrRow)}
		}
		if cells {
			r.sum = maphash.Bytes(r.seed, r.rec)
			for i := 0; i < r.width; i++ {
				m := uint64(r.kinds[i]) << 1
				if r.null[i] {
					m |= 1
				}
				r.sum = r.sum*31 + m
			}
			return nil
		}
	}
}

// readRow reads the next <row>: cells says whether one had a value. The
// header row (width unknown) keeps every column; data rows keep width.
func (r *xlsxReader) readRow(header bool) (cells bool, err error) {
	if r.done {
		return false, io.EOF
	}
	fail := func(err error) error {
		return &recordError{Line: r.rowNum + 1, Rule: schema.RuleUnreadable, Fatal: true,
			Msg: fmt.Sprintf("the sheet cannot be read past this row (%v): the workbook may be truncated or damaged; open it in Excel and save it again (reading stopped here)", err)}
	}
	// find <row>
	for {
		tok, name, self, err := r.x.next()
		if err == io.EOF {
			r.done = true
			return false, io.EOF
		}
		if err != nil {
			return false, fail(err)
		}
		if tok == xmlEnd && string(name) == "sheetData" {
			r.done = true
			return false, io.EOF
		}
		if tok != xmlStart || string(name) != "row" {
			continue
		}
		if v, ok := r.x.attr("r"); ok {
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return false, fail(fmt.Errorf("a row numbered %q", v))
			}
			r.rowNum = n
		} else {
			r.rowNum++
		}
		if header {
			r.hdrRow = r.rowNum
		}
		r.rec, r.extra = r.rec[:0], 0
		width := r.width
		if header {
			width = 0
			r.spans, r.null, r.kinds = r.spans[:0], r.null[:0], r.kinds[:0]
		}
		for i := 0; i < width; i++ {
			r.spans[i], r.null[i], r.kinds[i] = [2]int{}, true, kindInfer
		}
		if self {
			return false, nil
		}
		break
	}
	col := 0
	for {
		tok, name, self, err := r.x.next()
		if err != nil {
			return false, fail(unexpectedEOF(err))
		}
		if tok == xmlEnd && string(name) == "row" {
			return cells, nil
		}
		if tok != xmlStart || string(name) != "c" {
			continue
		}
		var ref, sAttr []byte
		r.cellS = r.cellS[:0]
		r.x.attrs(func(k, v []byte) bool {
			if len(k) == 1 {
				switch k[0] {
				case 'r':
					ref = v
				case 's':
					sAttr = v
				case 't':
					r.cellS = append(r.cellS, v...)
				}
			}
			return true
		})
		if ref != nil {
			col = cellColumn(ref)
		} else {
			col++
		}
		style := 0
		for _, c := range sAttr {
			style = style*10 + int(c-'0')
		}
		start := len(r.rec)
		k, null, got := kindInfer, true, uint8(0)
		if !self {
			k, null, got, err = r.readCell(style)
			if err != nil {
				return false, fail(err)
			}
		}
		if header {
			for len(r.spans) < col {
				r.spans = append(r.spans, [2]int{len(r.rec), len(r.rec)})
				r.null = append(r.null, true)
				r.kinds = append(r.kinds, kindInfer)
			}
		}
		if col < 1 || col > len(r.spans) || (!header && col > r.width) {
			if !null && r.extra == 0 {
				r.extra = col
			}
			r.rec = r.rec[:start]
			continue
		}
		r.spans[col-1], r.null[col-1], r.kinds[col-1] = [2]int{start, len(r.rec)}, null, k
		if !null {
			cells = true
			if !header {
				r.seen[col-1] |= got
			}
		}
	}
}

// readCell reads a cell's content up to </c> and appends its value's text
// to rec.
func (r *xlsxReader) readCell(style int) (k kind, null bool, got uint8, err error) {
	r.cellV = r.cellV[:0]
	if v, isText, ok := r.x.fastCell(r.cellV); ok {
		if isText {
			r.is = append(r.is[:0], v...)
			return r.cellValue(style, true, false, r.is)
		}
		r.cellV = v
		return r.cellValue(style, true, false, nil)
	}
	hasV, hasF, inV, inIS, inT, inPh := false, false, false, false, false, 0
	is := r.is[:0]
	defer func() { r.is = is[:0] }()
	for {
		tok, name, self, err := r.x.next()
		if err != nil {
			return 0, false, 0, unexpectedEOF(err)
		}
		switch tok {
		case xmlStart:
			switch string(name) {
			case "v":
				hasV, inV = true, !self
			case "f":
				hasF = true
			case "is":
				inIS = !self
				hasV = true
			case "t":
				inT = inIS && !self
			case "rPh":
				if !self {
					inPh++
				}
			}
		case xmlEnd:
			switch string(name) {
			case "c":
				return r.cellValue(style, hasV, hasF, is)
			case "v":
				inV = false
			case "is":
				inIS = false
			case "t":
				inT = false
			case "rPh":
				inPh--
			}
		case xmlText:
			switch {
			case inV:
				r.cellV = append(r.cellV, name...)
			case inT && inPh == 0:
				is = append(is, name...)
			}
		}
	}
}

// cellValue appends the text of a cell of type r.cellS with value
// r.cellV (or inline text is) to rec.
func (r *xlsxReader) cellValue(style int, hasV, hasF bool, is []byte) (kind, bool, uint8, error) {
	t := string(r.cellS)
	if !hasV || (len(r.cellV) == 0 && t != "str" && t != "inlineStr") {
		if hasF {
			r.rec = append(r.rec, "the formula has no saved value (the workbook was written by a program that does not calculate): open it in Excel or LibreOffice and save it, so that its formulas' values are saved"...)
			return kindError, false, 0, nil
		}
		return kindInfer, true, 0, nil
	}
	switch t {
	case "s":
		i, err := strconv.Atoi(string(r.cellV))
		ok := err == nil && r.sst != nil
		if ok {
			r.rec, ok = r.sst.appendText(r.rec, i)
		}
		if !ok {
			r.rec = append(r.rec, fmt.Sprintf("the cell names text number %s, which the workbook does not have: it may be damaged", r.cellV)...)
			return kindError, false, 0, nil
		}
		return kindText, false, seenText, nil
	case "inlineStr":
		r.rec = append(r.rec, is...)
		return kindText, false, seenText, nil
	case "str":
		r.rec = append(r.rec, r.cellV...)
		return kindText, false, seenText, nil
	case "b":
		switch string(r.cellV) {
		case "1", "true":
			r.rec = append(r.rec, "true"...)
		default:
			r.rec = append(r.rec, "false"...)
		}
		return kindInfer, false, seenBool, nil
	case "e":
		r.rec = append(r.rec, fmt.Sprintf("the cell holds the error %s: correct its formula, or clear the cell", r.cellV)...)
		return kindError, false, 0, nil
	case "d":
		r.rec = append(r.rec, r.cellV...)
		return kindInfer, false, seenDateTime, nil
	}
	ds := notDate
	if style >= 0 && style < len(r.dates) {
		ds = r.dates[style]
	}
	if ds == notDate {
		r.rec = append(r.rec, r.cellV...)
		return kindInfer, false, seenNumber, nil
	}
	serial, err := strconv.ParseFloat(string(r.cellV), 64)
	if err != nil {
		r.rec = append(r.rec, r.cellV...)
		return kindInfer, false, seenNumber, nil
	}
	ms, ok := excelMillis(serial, r.date1904)
	if !ok {
		r.rec = append(r.rec, fmt.Sprintf("the cell is formatted as a date but holds %s, which is no date Excel can show: correct it, or give it a number format", r.cellV)...)
		return kindError, false, 0, nil
	}
	if ds == dateOnly && ms%86400000 == 0 {
		r.rec = appendDate(r.rec, ms/86400000)
		return kindInfer, false, seenDate, nil
	}
	r.rec = appendStamp(r.rec, floorDiv(ms, 1000), int(ms-floorDiv(ms, 1000)*1000), false)
	return kindInfer, false, seenDateTime, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// excelMillis converts an Excel serial date to milliseconds since
// 1970-01-01, rounded to the millisecond. In the 1900 system, serial 1 is
// 1900-01-01 and 60 is the 1900-02-29 Excel keeps from Lotus 1-2-3, which
// did not exist.
func excelMillis(serial float64, date1904 bool) (int64, bool) {
	if serial < 0 || serial >= 2958466 || math.IsNaN(serial) { // 10000-01-01
		return 0, false
	}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	switch {
	case date1904:
		epoch = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case serial < 60:
		epoch = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	case serial < 61:
		return 0, false
	}
	return epoch.UnixMilli() + int64(math.Round(serial*86400000)), true
}

// mergedHeader reports header cells inside merged ranges, read from the
// sheet's <mergeCells> (after its rows: the sheet is read a second time,
// only when the header has an empty cell, which a merge leaves).
func (r *xlsxReader) mergedHeader() error {
	empty := false
	for _, h := range r.headers {
		if h == "" {
			empty = true
		}
	}
	if !empty || r.mergeSrc == nil {
		return nil
	}
	rc, err := r.mergeSrc()
	if err != nil {
		return nil
	}
	defer rc.Close()
	x := newXMLScanner(rc)
	for {
		tok, name, _, err := x.next()
		if err != nil {
			return nil
		}
		if tok != xmlStart || string(name) != "mergeCell" {
			continue
		}
		ref, _ := x.attr("ref")
		a, b, ok := bytes.Cut(ref, []byte(":"))
		if !ok {
			continue
		}
		c1, r1 := cellColumn(a), cellRow(a)
		c2, r2 := cellColumn(b), cellRow(b)
		if r.hdrRow < r1 || r.hdrRow > r2 {
			continue
		}
		for c := c1; c <= c2 && c <= r.width; c++ {
			if r.headers[c-1] == "" {
				return &recordError{Line: r.hdrRow, Column: c, Rule: schema.RuleMergedHeader, Fatal: true,
					Msg: fmt.Sprintf("the header cell is part of the merged cells %s, so its column has no name: unmerge them and give each column a name of its own in row %d", ref, r.hdrRow)}
			}
		}
	}
}

func cellRow(ref []byte) int {
	i := bytes.IndexAny(ref, "0123456789")
	if i < 0 {
		return 0
	}
	n, _ := strconv.Atoi(string(ref[i:]))
	return n
}
