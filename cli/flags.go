package cli

import (
	"flag"

	"github.com/pbiwb/pbiwb/exitcode"
)

// usageError turns a flag parse error into exit 2 (the flag package has
// already printed the problem and the usage); -h is exit 0.
func usageError(err error) error {
	if err == flag.ErrHelp {
		return &exitError{code: exitcode.OK, err: errSilent}
	}
	return &exitError{code: exitcode.Usage, err: errSilent}
}
