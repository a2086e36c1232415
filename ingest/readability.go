package ingest

import "github.com/cxstar/cxstar/readability"

// Readability holds the counts of a written reply (readability.Counts). Only these counts are
// stored; the reply text itself is never kept (docs/events.md).
type Readability = readability.Counts

// MeasureReadability counts letters, words, sentences and syllables of a reply with
// readability.Count, the one counter of the project.
func MeasureReadability(text string) Readability { return readability.Count(text) }
