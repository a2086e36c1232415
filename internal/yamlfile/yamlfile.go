// Package yamlfile reads the project's YAML data files (band files, the indicator catalog,
// readability limits, alert thresholds, registry and weights files) one way: strictly, so that a
// misspelt key is an error instead of a setting silently ignored, with errors that name the file
// and what it should hold. Each owning package keeps its own checks in its Parse function.
package yamlfile

import (
	"bytes"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// Decode decodes one YAML (or JSON) document into a new T. Keys that T does not declare are
// refused. what names the document in the error ("band file"), with a hint of its format when the
// decoder's message alone would not say it.
func Decode[T any](data []byte, what string) (*T, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	v := new(T)
	if err := dec.Decode(v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", what, err)
	}
	return v, nil
}

// Load reads the file at path and hands its content to parse (the owning package's Parse: Decode
// and its checks). A file that cannot be read gives "read <what>: …"; one that parse refuses gives
// "<what> <path>: …", so the operator knows which file to fix.
func Load[T any](path, what string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, fmt.Errorf("read %s: %w", what, err)
	}
	v, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return v, nil
}

// MustParse parses a file embedded in the binary (name is its path in the repository) and panics
// when parse refuses it: an invalid embedded file is a build mistake, caught by the owning
// package's tests before release.
func MustParse[T any](name string, data []byte, parse func([]byte) (T, error)) T {
	v, err := parse(data)
	if err != nil {
		panic("embedded " + name + " is invalid (fix " + name + "): " + err.Error())
	}
	return v
}
