package main

import (
	"archive/tar"
	"archive/zip"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// archived is one file of an archive: its name there, where it is read
// from, and its mode.
type archived struct {
	Name, From string
	Mode       fs.FileMode
}

func writeTarGz(path string, files []archived, mtime time.Time) error {
	return create(path, func(w io.Writer) error {
		gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return err
		}
		tw := tar.NewWriter(gz)
		for _, f := range files {
			b, err := os.ReadFile(f.From)
			if err != nil {
				return err
			}
			// Owner 0 and no user names: the same bytes on every machine.
			hdr := &tar.Header{Name: f.Name, Mode: int64(f.Mode), Size: int64(len(b)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if _, err := tw.Write(b); err != nil {
				return err
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return gz.Close()
	})
}

func writeZip(path string, files []archived, mtime time.Time) error {
	return create(path, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		for _, f := range files {
			b, err := os.ReadFile(f.From)
			if err != nil {
				return err
			}
			hdr := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: mtime}
			hdr.SetMode(f.Mode)
			fw, err := zw.CreateHeader(hdr)
			if err != nil {
				return err
			}
			if _, err := fw.Write(b); err != nil {
				return err
			}
		}
		return zw.Close()
	})
}

// writeSums writes the SHA-256 of each file, in the format `sha256sum -c`
// checks: "HASH  NAME", names relative to the file's directory, sorted.
func writeSums(path string, files []string) error {
	files = slices.SortedFunc(slices.Values(files), func(a, b string) int { return cmp.Compare(filepath.Base(a), filepath.Base(b)) })
	var lines []string
	for _, f := range files {
		sum, err := sha256File(f)
		if err != nil {
			return err
		}
		lines = append(lines, sum+"  "+filepath.Base(f)+"\n")
	}
	return create(path, func(w io.Writer) error {
		for _, l := range lines {
			if _, err := io.WriteString(w, l); err != nil {
				return err
			}
		}
		return nil
	})
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// create writes path through write, and leaves no partial file behind
// when write fails.
func create(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}
