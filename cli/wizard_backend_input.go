package cli

// The input: reading and checking a Domo DataSet or a file for the Input screen.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/connector/source"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/ui"
)

// domoClient is the account's Domo API client: the one signed in here, or
// the saved account's (its secret read from the keyring on first use).
func (s *wizardSession) domoClient(ctx context.Context) (*domo.Client, error) {
	s.domoMu.Lock()
	defer s.domoMu.Unlock()
	if s.domo != nil {
		return s.domo, nil
	}
	if s.id != nil {
		id, secret, ok, err := s.id.Domo(ctx, func(string) string { return "" }) // the wizard reads no environment
		if err != nil {
			return nil, wizardError(err)
		}
		if ok {
			s.domoID, s.domoSecret = id, secret
			s.domo = domo.New(s.ep, id, secret)
			return s.domo, nil
		}
	}
	return nil, &wizardFieldError{field: ui.FieldDomoClientID, code: exitcode.SignIn,
		msg:    "this account has no Domo API client, which a Domo DataSet input needs",
		advice: "Add the account again (first screen › + Add a new account, same name) with the Domo Client ID and Secret from developer.domo.com › My Account › Manage Clients"}
}

// InspectInput reads and checks the whole input once (source.Scan): its
// columns and their types, the row count, and every finding with its line.
func (b *wizardBackend) InspectInput(ctx context.Context, account, input, sheet string, overrides map[string]string) (ui.InputReport, error) {
	s, err := b.session(account)
	if err != nil {
		return ui.InputReport{}, err
	}
	types, err := parseOverrides(overrides)
	if err != nil {
		return ui.InputReport{}, err
	}
	limits, err := s.pbi.Limits(ctx)
	if err != nil {
		return ui.InputReport{}, wizardError(err)
	}
	in, err := b.openInput(ctx, s, input)
	if err != nil {
		return ui.InputReport{}, err
	}
	if sheet != "" {
		in.src.Sheet = sheet
	}
	p, err := source.Scan(ctx, in.src, source.Options{Limits: limits, Columns: types, Fields: wizardFace{}})
	if p != nil {
		defer p.Close()
	}
	var verr *schema.ValidationError
	if err != nil && !errors.As(err, &verr) {
		return ui.InputReport{}, inputError(input, err)
	}
	report := ui.InputReport{Input: input, Name: in.name, Kind: in.kind}
	if p != nil {
		report.Rows = int64(p.Rows)
		report.Warnings = p.Warnings
		if in.kind == kindCSV {
			report.Kind = p.Format.Describe() // an Excel workbook, a Parquet file, ...
			if p.Delimiter == '\t' {
				report.Kind = "TSV file"
			}
			report.Sheets, report.Sheet = p.Sheets, p.Sheet
		}
		for i, col := range p.Columns {
			origin := in.origin(col.Name, overrides, i < len(p.Inferred) && p.Inferred[i])
			if i < len(p.Origins) && p.Origins[i] != "" && overrides[col.Name] == "" {
				origin = p.Origins[i] // "Excel date", "Parquet DECIMAL(18,2)"
			}
			report.Columns = append(report.Columns, ui.Column{Name: col.Name, Type: col.Type.String(), Origin: origin})
		}
	}
	if verr != nil {
		report.Findings = findingsOf(verr, report.Columns)
	}
	return report, nil
}

const kindCSV = "CSV file"

// wizardInput is an input opened for reading, with what the report says of it.
type wizardInput struct {
	src        *source.Source
	name, kind string
	domoTypes  map[string]string // a Domo DataSet's declared types, by column
}

func (b *wizardBackend) openInput(ctx context.Context, s *wizardSession, input string) (*wizardInput, error) {
	if id, ok := strings.CutPrefix(input, "domo:"); ok {
		client, err := s.domoClient(ctx)
		if err != nil {
			return nil, err
		}
		api := &metaCapture{api: client}
		src, err := source.Domo(ctx, api, id)
		if err != nil {
			return nil, inputError(input, err)
		}
		in := &wizardInput{src: src, name: api.meta.Name, kind: "Domo DataSet", domoTypes: map[string]string{}}
		for _, c := range api.meta.Schema {
			in.domoTypes[c.Name] = c.Type
		}
		if in.name == "" {
			in.name = id
		}
		return in, nil
	}
	if input == "-" {
		return nil, errors.New("standard input is the terminal here: give a file path (pbiwb push --input - reads a pipe)")
	}
	return &wizardInput{src: source.File(input, nil), name: filepath.Base(input), kind: kindCSV}, nil
}

// origin says where a column's type came from, for the Input screen.
func (in *wizardInput) origin(name string, overrides map[string]string, inferred bool) string {
	switch {
	case overrides[name] != "":
		return "set by you"
	case in.domoTypes[name] != "":
		return "Domo " + in.domoTypes[name]
	case inferred:
		return "inferred"
	}
	return "declared"
}

// metaCapture keeps the DataSet metadata source.Domo reads, for its name and
// its Domo types, so they need no second request.
type metaCapture struct {
	api  source.DomoAPI
	meta domo.DataSet
}

func (m *metaCapture) DataSet(ctx context.Context, id string) (domo.DataSet, error) {
	d, err := m.api.DataSet(ctx, id)
	if err == nil {
		m.meta = d
	}
	return d, err
}

func (m *metaCapture) Export(ctx context.Context, id string) (io.ReadCloser, error) {
	return m.api.Export(ctx, id)
}

func parseOverrides(overrides map[string]string) (map[string]schema.Type, error) {
	if len(overrides) == 0 {
		return nil, nil
	}
	types := make(map[string]schema.Type, len(overrides))
	for name, t := range overrides {
		pt, err := schema.ParseType(t)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", name, err)
		}
		types[name] = pt
	}
	return types, nil
}

// findingsOf lists a validation error's findings with their line and column
// name, and says how many more there are when the listing was capped.
func findingsOf(verr *schema.ValidationError, cols []ui.Column) []ui.Finding {
	out := make([]ui.Finding, 0, len(verr.Findings)+1)
	for _, f := range verr.Findings {
		name := f.ColumnName
		if name == "" && f.Column > 0 && f.Column <= len(cols) {
			name = cols[f.Column-1].Name
		}
		out = append(out, ui.Finding{Line: f.Line, Column: name, Message: f.Message})
	}
	if more := verr.Total - len(verr.Findings); more > 0 {
		out = append(out, ui.Finding{Message: fmt.Sprintf("… and %d more (the first %d are listed; `pbiwb push --dry-run` counts them by rule)", more, len(verr.Findings))})
	}
	return out
}

// inputError says which input could not be read; Domo's errors already say
// what to do.
func inputError(input string, err error) error {
	var de *domo.Error
	if errors.As(err, &de) {
		return wizardError(err)
	}
	return fmt.Errorf("reading %s: %w", input, err)
}
