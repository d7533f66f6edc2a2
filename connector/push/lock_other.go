//go:build !unix

package push

import "os"

// ownedByMe: on Windows the temp dir is the user's own.
func ownedByMe(os.FileInfo) bool { return true }
