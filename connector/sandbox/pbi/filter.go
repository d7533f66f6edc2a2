package pbi

import (
	"fmt"
	"strings"
)

// filterExpr is a parsed OData $filter over workspaces.
type filterExpr func(*workspace) bool

// parseFilter parses the subset of OData that Groups_GetGroups documents
// (contains(name,'x') or name eq 'y') and its natural neighbours: eq/ne on
// name, id and isReadOnly, contains/startswith/endswith on name, and, or, not,
// parentheses. eq is exact; contains/startswith/endswith ignore case
// (UNCONFIRMED how the service compares; this is our choice).
func parseFilter(s string) (filterExpr, error) {
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	return e, nil
}

type filterTok struct {
	kind byte // 'w' word, 's' string, '(' ')' ','
	text string
}

func lexFilter(s string) ([]filterTok, error) {
	var toks []filterTok
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t':
			i++
		case ch == '(' || ch == ')' || ch == ',':
			toks = append(toks, filterTok{kind: ch, text: string(ch)})
			i++
		case ch == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated string literal")
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' { // '' is an escaped quote
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			toks = append(toks, filterTok{kind: 's', text: b.String()})
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t(),'", rune(s[j])) {
				j++
			}
			toks = append(toks, filterTok{kind: 'w', text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

type filterParser struct {
	toks []filterTok
	pos  int
}

func (p *filterParser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == 'w' && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *filterParser) next() (filterTok, error) {
	if p.pos >= len(p.toks) {
		return filterTok{}, fmt.Errorf("unexpected end of expression")
	}
	p.pos++
	return p.toks[p.pos-1], nil
}

func (p *filterParser) expect(kind byte) (filterTok, error) {
	t, err := p.next()
	if err == nil && t.kind != kind {
		err = fmt.Errorf("expected %q, found %q", string(kind), t.text)
	}
	return t, err
}

func (p *filterParser) or() (filterExpr, error) {
	l, err := p.and()
	for err == nil && p.peekWord("or") {
		p.pos++
		var r filterExpr
		if r, err = p.and(); err == nil {
			a, b := l, r
			l = func(w *workspace) bool { return a(w) || b(w) }
		}
	}
	return l, err
}

func (p *filterParser) and() (filterExpr, error) {
	l, err := p.unary()
	for err == nil && p.peekWord("and") {
		p.pos++
		var r filterExpr
		if r, err = p.unary(); err == nil {
			a, b := l, r
			l = func(w *workspace) bool { return a(w) && b(w) }
		}
	}
	return l, err
}

func (p *filterParser) unary() (filterExpr, error) {
	if p.peekWord("not") {
		p.pos++
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(w *workspace) bool { return !e(w) }, nil
	}
	if p.pos < len(p.toks) && p.toks[p.pos].kind == '(' {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(')'); err != nil {
			return nil, err
		}
		return e, nil
	}
	return p.primary()
}

var stringFuncs = map[string]func(s, sub string) bool{
	"contains":   func(s, sub string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(sub)) },
	"startswith": func(s, sub string) bool { return strings.HasPrefix(strings.ToLower(s), strings.ToLower(sub)) },
	"endswith":   func(s, sub string) bool { return strings.HasSuffix(strings.ToLower(s), strings.ToLower(sub)) },
}

func (p *filterParser) primary() (filterExpr, error) {
	t, err := p.expect('w')
	if err != nil {
		return nil, err
	}
	if fn, ok := stringFuncs[strings.ToLower(t.text)]; ok {
		if _, err := p.expect('('); err != nil {
			return nil, err
		}
		field, err := p.expect('w')
		if err != nil {
			return nil, err
		}
		if field.text != "name" {
			return nil, fmt.Errorf("%s supports only the name property, not %q", t.text, field.text)
		}
		if _, err := p.expect(','); err != nil {
			return nil, err
		}
		lit, err := p.expect('s')
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(')'); err != nil {
			return nil, err
		}
		return func(w *workspace) bool { return fn(w.Name, lit.text) }, nil
	}
	op, err := p.expect('w')
	if err != nil {
		return nil, err
	}
	neg := false
	switch strings.ToLower(op.text) {
	case "eq":
	case "ne":
		neg = true
	default:
		return nil, fmt.Errorf("unsupported operator %q (use eq or ne)", op.text)
	}
	val, err := p.next()
	if err != nil {
		return nil, err
	}
	var e filterExpr
	switch t.text {
	case "name", "id":
		if val.kind != 's' {
			return nil, fmt.Errorf("%s must be compared with a quoted string, not %q", t.text, val.text)
		}
		if t.text == "name" {
			e = func(w *workspace) bool { return w.Name == val.text }
		} else {
			e = func(w *workspace) bool { return strings.EqualFold(w.ID, val.text) }
		}
	case "isReadOnly":
		b := strings.ToLower(val.text)
		if val.kind != 'w' || (b != "true" && b != "false") {
			return nil, fmt.Errorf("isReadOnly must be compared with true or false, not %q", val.text)
		}
		e = func(w *workspace) bool { return w.ReadOnly == (b == "true") }
	default:
		return nil, fmt.Errorf("unknown property %q (filterable: name, id, isReadOnly)", t.text)
	}
	if neg {
		return func(w *workspace) bool { return !e(w) }, nil
	}
	return e, nil
}
