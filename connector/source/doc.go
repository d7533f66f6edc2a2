// Package source reads the inputs of a writeback — a CSV or TSV file,
// standard input, or a Domo DataSet's export — as a stream of rows plus a
// schema, checks them whole against Power BI's rules, and encodes them into
// POST rows bodies. Memory stays constant whatever the input's size.
//
// # Two passes
//
// Scan is the first pass. It reads every byte once: it infers the type of
// each column that has no known type, checks every value, and fingerprints
// the bytes (SHA-256) for checkpoints. Every finding comes back at once as a
// *schema.ValidationError (exit 3: nothing was written), the listing capped
// at Options.MaxFindings with the rest counted by rule.
//
// Batches is the second pass: it reads the input again, converts and
// encodes each value once, and yields `{"rows":[...]}` bodies within
// Limits.MaxRowsPerPost rows and Limits.MaxBytesPerPost bytes. Boundaries
// depend only on the input and the limits, so a resumed push can ask for
// batches from any index and get the same batches a first run would. The
// first complete Batches pass (the push plans with one, before writing
// anything) checks the whole fingerprint again and records one per batch;
// every later pass (the writer's) checks each batch against its own before
// yielding it, so a file edited during a push stops the push before the
// edited rows are sent, with a *ChangedError naming the line
// (batchprint.go).
//
// A source that cannot be read twice (stdin, a named pipe or /dev/fd/N, a
// Domo export) is read once and copied to a file during the first pass
// (Options.TempDir, mode 0600), which the later passes read; the copy never
// outlives its run (spool.go). A Domo DataSet is thus exported once per run.
//
// # CSV dialect
//
// RFC 4180 (Reader): a header row; fields separated by commas (or tabs);
// quoted fields may hold delimiters, doubled quotes and line breaks, kept
// as the file holds them (a CRLF inside quotes stays CRLF); LF or CRLF line
// ends; a UTF-8 byte-order mark is skipped; blank lines are
// skipped. An empty unquoted field is NULL and "" is an empty string (Domo's
// dialect, which encoding/csv cannot tell apart). A quote inside an
// unquoted field is kept as data. Text after a closing quote, and a quote
// never closed, stop the read with a finding at the line where the field
// starts. A NUL byte in a value is a finding: how Power BI would store one
// is unknown.
//
// Tab-separated: a file named *.tsv or *.tab is read with tabs, *.csv with
// commas; any other name, and stdin, is tab-separated when its first line
// (outside quotes) holds more tabs than commas. The same quoting rules apply.
//
// # Other formats
//
// An Excel workbook (xlsx.go), a Parquet file (parquet.go) and JSON Lines
// (jsonl.go) go through the same scan and encoder: each reader is a
// rowReader (formats.go) that writes its values as the text a CSV would
// hold, says which are text, nested or unreadable (kind), and names places
// its own way (Finding.Place: book.xlsx[Sheet]!B12, data.parquet, row 12).
// A workbook and a Parquet file are read at random, so a stream of one is
// copied to the spool first (random.go); their fingerprint is the file's
// bytes, and a workbook's names the sheet read. docs/cli.md says how each
// format's values and types are read.
//
// # Column types
//
// A column's type comes, in order, from --column NAME=TYPE (Options.Columns),
// the existing target table's column of the same name (Options.Existing),
// the source's declared schema (a Domo DataSet's, mapped by
// schema.FromDomo), and otherwise inference over the whole column (the rules
// are in package schema). A known type checks every value, so a bad value is
// reported at its line; an inferred column takes whatever type all its
// values share, and when a column turns into a String part-way, the line
// that did it is in Pipeline.Warnings.
//
// # Locations
//
// A finding's line is the physical line of the file where the record
// starts (a quoted field may span lines); its column is the 1-based field
// index with the column's name.
package source
