package keystore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/pbiwb/pbiwb/atomicfile"
)

// AccountsFileName is the accounts file, in home.Dirs.Config.
const AccountsFileName = "accounts.json"

const configVersion = 1

type configFile struct {
	Version  int       `json:"version"`
	Accounts []Account `json:"accounts"`
}

// readConfig reads the accounts file; a missing file is an empty list.
func readConfig(path string) (*configFile, error) {
	cf := &configFile{Version: configVersion}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cf, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read saved accounts: %w", err)
	}
	if err := json.Unmarshal(b, cf); err != nil {
		return nil, fmt.Errorf("the saved accounts in %s cannot be read (%v); fix or move the file, then add the accounts again", path, err)
	}
	if cf.Version != configVersion {
		return nil, fmt.Errorf("the saved accounts in %s are in format version %d, which this pbiwb does not know (it reads version %d); use a newer pbiwb", path, cf.Version, configVersion)
	}
	return cf, nil
}

func writeConfig(path string, cf *configFile) error {
	cf.Version = configVersion
	if cf.Accounts == nil {
		cf.Accounts = []Account{}
	}
	b, err := json.MarshalIndent(cf, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'))
}
