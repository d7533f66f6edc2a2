package field

import (
	"regexp"
	"strings"
)

// Advice that suggests giving a field, or a value of it, is written as a
// template that names the field by its ID, and each face renders it in its
// own terms (Render):
//
//   - {ID} is the field as the face names it (Namer.Name): "{cloud}" is
//     "--cloud" on the command line, "the cloud (Credentials)" in the wizard;
//   - {ID=value} is the field given that value (Namer.Setting):
//     "{mode=replace}" is "--mode replace";
//   - a span in backticks that holds references is a command line to type:
//     "`pbiwb push {resume}`". A face that is typed (Typed) shows the span,
//     its references rendered; any other face shows only what its references
//     name ("Resume"), since there is nothing to type.
//
// Backticks without a reference inside are left as they are. A face's name
// may carry its own article ("the Workspace (Details)"): "the {ID}" then
// keeps only one.

// Typed is implemented by a face whose names are typed as they are shown (the
// command line's flags and variables), so that Render keeps the command
// lines a template quotes in backticks.
type Typed interface {
	Typed() bool
}

var (
	refRE  = regexp.MustCompile(`(the )?\{([^{}=]+)(?:=([^{}]*))?\}`)
	spanRE = regexp.MustCompile("`[^`]*\\{[^`]*\\}[^`]*`")
)

// Render is tmpl with its references named by n (nil is Plain).
func Render(tmpl string, n Namer) string {
	if n == nil {
		n = Plain{}
	}
	typed := false
	if t, ok := n.(Typed); ok {
		typed = t.Typed()
	}
	if !typed {
		tmpl = spanRE.ReplaceAllStringFunc(tmpl, func(span string) string {
			return strings.Join(refRE.FindAllString(span, -1), " ")
		})
	}
	return refRE.ReplaceAllStringFunc(tmpl, func(ref string) string {
		m := refRE.FindStringSubmatch(ref)
		var s string
		if !strings.Contains(ref, "=") {
			s = n.Name(ID(m[2]))
		} else {
			s = n.Setting(ID(m[2]), m[3])
		}
		if m[1] != "" && !strings.HasPrefix(s, "the ") {
			s = m[1] + s
		}
		return s
	})
}
