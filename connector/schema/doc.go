// Package schema knows Power BI push-table columns: the six types, the Domo
// type mapping, type inference for CSV columns, converting and encoding
// values exactly as POST rows expects them, the naming rules, the documented
// limits (Limits), and the findings that stop a write before it starts.
//
// # Inference (CSV columns without --column)
//
// Inference is conservative and looks at every value of the column (Votes, in
// constant memory). NULL (an empty unquoted field, or an empty quoted one)
// does not vote. A column is
//
//   - Int64 if every value is -?(0|[1-9][0-9]*) within Int64, not Int64's
//     largest or smallest value (Power BI forbids those). No leading "+", no
//     leading zeros (so the zip code 00501 stays a String), no thousands
//     separators (1,234 is ambiguous between locales).
//   - else Double if every value is such an integer within ±2^53 (larger ones
//     would be rounded) or -?(0|[1-9][0-9]*)\.[0-9]+ optionally followed by an
//     exponent e[+-]?[0-9]+. An exponent only after a decimal point: 1.5e-7
//     is a Double, but 1E5 (a part code?) is a String. Finite, and not
//     ±MaxFloat64, which Power BI forbids.
//   - else Boolean if every value is true or false, in any case. Not 0/1 or
//     yes/no: those are as often codes as flags.
//   - else Datetime if every value has one of the Datetime forms below.
//   - else String; so is a column of only NULLs. Mixed columns are Strings.
//
// Decimal is never inferred: Double is. Force it with --column NAME=Decimal
// (a Domo DECIMAL column is Decimal).
//
// # Forced and declared types (--column NAME=TYPE, Domo schema)
//
// A forced type is a promise, so its parsing is a little wider: Int64 also
// takes a leading "+" and leading zeros (00501 → 501); Double a leading "+",
// an exponent without a point, and ".5"/"5."; Boolean also 1 and 0. A value
// that still does not convert is a finding naming its line and column.
//
// # Datetime forms
//
//	2024-03-31
//	2024-03-31T14:05            2024-03-31 14:05
//	2024-03-31T14:05:09         2024-03-31 14:05:09
//	2024-03-31T14:05:09.123456  (1 to 9 fractional digits)
//	any of the timed forms followed by Z, +02:00, +0200 or +02
//
// A value without a zone is taken as UTC (Domo's company time zone defaults
// to UTC; Power BI's own handling of zones is UNCONFIRMED). A value with a
// zone is converted to UTC. Fractions are truncated to milliseconds (Power
// BI itself keeps only 1/300 s). US dates such as 07/30/2014 are not
// recognised: 01/02/2024 means two different days in two countries.
//
// # Encoding (AppendJSON)
//
//   - Int64: a JSON integer from the digits, never through float64, so
//     9007199254740993 arrives exact.
//   - Double: the shortest text that reads back as the same float64, in
//     encoding/json's style; NaN, ±Inf and ±MaxFloat64 are refused.
//   - Decimal: the digits as written (leading zeros of the integer part and
//     trailing zeros of the fraction dropped), at most 24 digits before the
//     point and 4 after (precision 28, scale 4). More decimal places are
//     refused, not rounded: rounding would silently change the data; use
//     --column NAME=Double to accept them. Whether Power BI reads a 28-digit
//     JSON number without going through a double is UNCONFIRMED.
//   - Boolean: true or false.
//   - Datetime: "2006-01-02T15:04:05.000Z", UTC with milliseconds.
//   - String: a JSON string; quote, backslash and control characters escaped.
//   - NULL: null, written out (not an omitted key; what Power BI does with a
//     missing key is UNCONFIRMED).
//
// # Strings
//
// The 4,000-character limit counts UTF-16 code units, as .NET does (an emoji
// counts two). That is UNCONFIRMED and the stricter reading: it never lets
// through a value the service would refuse.
package schema
