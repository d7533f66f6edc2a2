package schema

import "time"

// civil is a parsed Datetime value, already in UTC.
type civil struct {
	year, month, day, hour, min, sec, milli int
}

// parseDatetime reads the Datetime forms of the package doc:
//
//	yyyy-mm-dd
//	yyyy-mm-dd(T| )hh:mm[:ss[.f{1,9}]][Z|±hh:mm|±hhmm|±hh]
//
// A value without a zone is UTC. Fractions are truncated to milliseconds.
// The result must fall within years 0001–9999 once shifted to UTC.
func parseDatetime(b []byte) (civil, bool) {
	var c civil
	if len(b) < 10 || b[4] != '-' || b[7] != '-' {
		return c, false
	}
	y, ok1 := digits(b[0:4])
	mo, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return c, false
	}
	c.year, c.month, c.day = y, mo, d
	b = b[10:]
	if len(b) == 0 {
		return c, true
	}
	if b[0] != 'T' && b[0] != 't' && b[0] != ' ' || len(b) < 6 || b[3] != ':' {
		return c, false
	}
	h, ok1 := digits(b[1:3])
	mi, ok2 := digits(b[4:6])
	if !ok1 || !ok2 || h > 23 || mi > 59 {
		return c, false
	}
	c.hour, c.min = h, mi
	b = b[6:]
	if len(b) >= 3 && b[0] == ':' {
		s, ok := digits(b[1:3])
		if !ok || s > 59 {
			return c, false
		}
		c.sec = s
		b = b[3:]
		if len(b) >= 2 && b[0] == '.' {
			n := 1
			for n < len(b) && b[n] >= '0' && b[n] <= '9' {
				n++
			}
			if n == 1 || n > 10 {
				return c, false
			}
			ms := 0
			for i := 1; i <= 3; i++ {
				ms *= 10
				if i < n {
					ms += int(b[i] - '0')
				}
			}
			c.milli = ms
			b = b[n:]
		}
	}
	if len(b) == 0 {
		return c, true
	}
	// The zone.
	var off int
	switch {
	case len(b) == 1 && (b[0] == 'Z' || b[0] == 'z'):
	case b[0] == '+' || b[0] == '-':
		oh, om, ok := 0, 0, false
		switch {
		case len(b) == 3:
			oh, ok = digits(b[1:3])
		case len(b) == 5:
			oh, ok = digits(b[1:3])
			if ok {
				om, ok = digits(b[3:5])
			}
		case len(b) == 6 && b[3] == ':':
			oh, ok = digits(b[1:3])
			if ok {
				om, ok = digits(b[4:6])
			}
		}
		if !ok || oh > 23 || om > 59 {
			return c, false
		}
		off = oh*3600 + om*60
		if b[0] == '-' {
			off = -off
		}
	default:
		return c, false
	}
	if off != 0 {
		t := time.Date(c.year, time.Month(c.month), c.day, c.hour, c.min, c.sec, 0, time.UTC).Add(-time.Duration(off) * time.Second)
		if t.Year() < 1 || t.Year() > 9999 {
			return c, false
		}
		c.year, c.month, c.day = t.Year(), int(t.Month()), t.Day()
		c.hour, c.min, c.sec = t.Hour(), t.Minute(), t.Second()
	}
	return c, true
}

// appendDatetime writes c as "yyyy-mm-ddThh:mm:ss.mmmZ" in JSON quotes.
func appendDatetime(dst []byte, c civil) []byte {
	dst = append(dst, '"')
	dst = appendPadded(dst, c.year, 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, c.month, 2)
	dst = append(dst, '-')
	dst = appendPadded(dst, c.day, 2)
	dst = append(dst, 'T')
	dst = appendPadded(dst, c.hour, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, c.min, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, c.sec, 2)
	dst = append(dst, '.')
	dst = appendPadded(dst, c.milli, 3)
	return append(dst, 'Z', '"')
}

func appendPadded(dst []byte, v, width int) []byte {
	var buf [4]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:width]...)
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
