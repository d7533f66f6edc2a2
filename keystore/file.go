package keystore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pbiwb/pbiwb/atomicfile"
	"github.com/pbiwb/pbiwb/home"
)

// InsecureFileName is the --insecure-storage file, in home.Dirs.Config.
const InsecureFileName = "insecure-secrets.json"

// InsecureWarning is the line the caller prints (to stderr) every time it
// saves or uses secrets through a FileBackend; %s is FileBackend.Path().
const InsecureWarning = "! Secrets saved in plain text at %s (--insecure-storage): anyone who can read this file can use them"

// FileBackend keeps secrets in plain text in a 0600 JSON file. It exists for
// machines without a usable keyring and is used only when the user explicitly
// chooses --insecure-storage; never as a silent fallback.
type FileBackend struct {
	path string
	lock string
}

// NewFileBackend returns the insecure-storage backend for dirs.
func NewFileBackend(dirs home.Dirs) *FileBackend {
	return &FileBackend{
		path: filepath.Join(dirs.Config, InsecureFileName),
		lock: filepath.Join(dirs.Config, "insecure-secrets.lock"),
	}
}

// Path is the plain-text file, for InsecureWarning.
func (f *FileBackend) Path() string { return f.path }

// Kind reports StorageFile.
func (f *FileBackend) Kind() string { return StorageFile }

type secretsFile struct {
	Version int                          `json:"version"`
	Items   map[string]map[string]string `json:"items"` // service → key → value
}

// Set stores value.
func (f *FileBackend) Set(ctx context.Context, service, key, value string) error {
	return f.update(ctx, func(sf *secretsFile) error {
		if sf.Items[service] == nil {
			sf.Items[service] = map[string]string{}
		}
		sf.Items[service][key] = value
		return nil
	})
}

// Get reads a value.
func (f *FileBackend) Get(ctx context.Context, service, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	sf, err := f.read()
	if err != nil {
		return "", err
	}
	v, ok := sf.Items[service][key]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// Delete removes a value.
func (f *FileBackend) Delete(ctx context.Context, service, key string) error {
	return f.update(ctx, func(sf *secretsFile) error {
		if _, ok := sf.Items[service][key]; !ok {
			return ErrNotFound
		}
		delete(sf.Items[service], key)
		if len(sf.Items[service]) == 0 {
			delete(sf.Items, service)
		}
		return nil
	})
}

func (f *FileBackend) update(ctx context.Context, change func(*secretsFile) error) error {
	unlock, err := lockFile(ctx, f.lock)
	if err != nil {
		return err
	}
	defer unlock()
	sf, err := f.read()
	if err != nil {
		return err
	}
	if err := change(sf); err != nil {
		return err
	}
	b, err := json.MarshalIndent(sf, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(f.path, append(b, '\n'))
}

func (f *FileBackend) read() (*secretsFile, error) {
	sf := &secretsFile{Version: 1, Items: map[string]map[string]string{}}
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return sf, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the insecure-storage file: %w", err)
	}
	// The decoder's error can quote the file's bytes, i.e. secrets: keep it out.
	if json.Unmarshal(b, sf) != nil || sf.Version != 1 {
		return nil, fmt.Errorf("the insecure-storage file %s is damaged or from a newer pbiwb; move it away and save the accounts again", f.path)
	}
	if sf.Items == nil {
		sf.Items = map[string]map[string]string{}
	}
	return sf, nil
}
