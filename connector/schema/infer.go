package schema

// Votes infers one column's type from its values, in constant memory: each
// non-NULL value rules out the types it is not written as (the grammar of
// each is in the package doc). The zero value has seen nothing.
type Votes struct {
	out  uint8 // bit t set: Type t is ruled out
	seen bool
}

const maxExactDouble = 1 << 53 // integers beyond this do not survive a float64

// Add counts one non-NULL value.
func (v *Votes) Add(raw []byte) {
	v.seen = true
	if v.out&(1<<Int64|1<<Double|1<<Boolean|1<<Datetime) == 1<<Int64|1<<Double|1<<Boolean|1<<Datetime {
		return // already a String
	}
	if v.out&(1<<Int64|1<<Double) != 1<<Int64|1<<Double {
		if n, ok := parseInt(raw, true); ok {
			// An integer is no Boolean or Datetime. It stays a Double
			// candidate only if a float64 holds it exactly, and an Int64
			// one unless Power BI forbids the value.
			v.out |= 1<<Boolean | 1<<Datetime
			if n == -1<<63 || n == 1<<63-1 {
				v.out |= 1 << Int64
			}
			if n > maxExactDouble || n < -maxExactDouble {
				v.out |= 1 << Double
			}
			return
		}
		v.out |= 1 << Int64
		if v.out&(1<<Double) == 0 {
			if _, ok := parseDouble(raw, true); ok {
				v.out |= 1<<Boolean | 1<<Datetime
				return
			}
			v.out |= 1 << Double
		}
	}
	if v.out&(1<<Boolean) == 0 && !isWord(raw, "true") && !isWord(raw, "false") {
		v.out |= 1 << Boolean
	}
	if v.out&(1<<Datetime) == 0 {
		if _, ok := parseDatetime(raw); !ok {
			v.out |= 1 << Datetime
		}
	}
}

// AddText counts one value its input stores as text (an Excel text cell,
// a Parquet string): whatever it reads as, its column is a String.
func (v *Votes) AddText() {
	v.seen = true
	v.out |= 1<<Int64 | 1<<Double | 1<<Boolean | 1<<Datetime
}

// Type is the inferred type: Int64, else Double, else Boolean, else
// Datetime, else String; a column with no non-NULL value is a String.
func (v Votes) Type() Type {
	if !v.seen {
		return String
	}
	for _, t := range [...]Type{Int64, Double, Boolean, Datetime} {
		if v.out&(1<<t) == 0 {
			return t
		}
	}
	return String
}

// Infer is Votes over a list of values, NULL written as nil; for tests and
// small inputs.
func Infer(values [][]byte) Type {
	var v Votes
	for _, raw := range values {
		if len(raw) > 0 {
			v.Add(raw)
		}
	}
	return v.Type()
}
