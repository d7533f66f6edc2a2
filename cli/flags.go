package cli

import "flag"

// usageError turns a flag parse error into exit 2 (the flag package has
// already printed the problem and the usage); -h is exit 0.
func usageError(err error) error {
	if err == flag.ErrHelp {
		return &exitError{code: ExitOK, err: errSilent}
	}
	return &exitError{code: ExitUsage, err: errSilent}
}
