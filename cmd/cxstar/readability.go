package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/cxstar/cxstar/readability"
)

// defaultReadabilityListen is where `cxstar readability serve` listens unless told otherwise.
const defaultReadabilityListen = "127.0.0.1:18090"

// runReadability is `cxstar readability`: it dispatches to serve and coverage, then scores texts
// from a file or stdin. Flags, input and output read top to bottom, so it stays whole.
func runReadability(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "serve" {
		return runReadabilityServe(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "coverage" {
		return runReadabilityCoverage(ctx, args[1:])
	}
	fs := newFlagSet("readability", "readability [flags] [FILE|-]\n       cxstar readability serve [flags]\n       cxstar readability coverage [--quarter 2026Q3] [flags]\n\n"+
		"Scores the readability of Russian text: Flesch reading ease and Flesch–Kincaid grade (Oborneva's\n"+
		"adaptation), Coleman–Liau and ARI (Plain Russian Language coefficients), with the counts they come\n"+
		"from, and checks them against the limits of a client segment (versioned data; see docs/readability.md).\n"+
		"FILE (default: standard input) is one text, or with --input jsonl one JSON object per line:\n"+
		"{\"id\": \"…\", \"text\": \"…\", \"segment\": \"…\"}. Exits 1 when a text fails its limits.\n"+
		"`serve` answers the same check over HTTP: POST "+readability.Path+" {\"text\": \"…\", \"segment\": \"…\"};\n"+
		"`coverage` checks the replies stored in ClickHouse and computes P-T2-4 from them.")
	format := readabilityFormatFlag(fs)
	input := envChoice(fs, "input", "CXSTAR_READABILITY_INPUT", "text", "input: text (the whole input is one text) or jsonl (one JSON object per line)", "text", "jsonl")
	segment := envString(fs, "segment", "CXSTAR_READABILITY_SEGMENT", "", "client segment whose limits apply (default: the limits file's default segment)")
	limitsFile := limitsFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("one FILE at most (got %d); use --input jsonl to score many texts", fs.NArg())
	}
	limits, err := limitsFile.load()
	if err != nil {
		return err
	}
	in := io.Reader(os.Stdin)
	if name := fs.Arg(0); name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("open the text to score: %w", err)
		}
		defer f.Close()
		in = f
	}
	type scored struct {
		ID string `json:"id,omitempty"`
		readability.Result
	}
	var results []scored
	if *input == "text" {
		data, err := io.ReadAll(in)
		if err != nil {
			return fmt.Errorf("read the text to score: %w", err)
		}
		r, err := limits.Score(string(data), *segment)
		if err != nil {
			return fmt.Errorf("--segment: %w", err)
		}
		results = append(results, scored{Result: r})
	} else {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 0, 1<<16), 4<<20)
		for line := 1; sc.Scan(); line++ {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			var item struct{ ID, Text, Segment string }
			if err := json.Unmarshal(sc.Bytes(), &item); err != nil {
				return fmt.Errorf("line %d: not a JSON object {\"id\", \"text\", \"segment\"}: %w", line, err)
			}
			if item.Segment == "" {
				item.Segment = *segment
			}
			r, err := limits.Score(item.Text, item.Segment)
			if err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			if item.ID == "" {
				item.ID = fmt.Sprint(line)
			}
			results = append(results, scored{ID: item.ID, Result: r})
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read the texts to score (a line is limited to 4 MiB): %w", err)
		}
	}
	failed := 0
	for _, r := range results {
		if !r.Pass {
			failed++
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(os.Stdout)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	} else {
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "text\tsegment\tletters\twords\tsentences\tsyllables\tFRE\tFKGL\tCLI\tARI\tresult\t\n")
		for i, r := range results {
			id := r.ID
			if id == "" {
				id = fmt.Sprint(i + 1)
			}
			c := r.Counts
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t", id, r.Segment, c.Chars, c.Words, c.Sentences, c.Syllables)
			if !r.Scored {
				fmt.Fprintf(tw, "—\t—\t—\t—\tnot scored: no words\t\n")
				continue
			}
			ix := r.Indices
			verdict := "pass"
			if !r.Pass {
				var bad []string
				for _, ch := range r.Checks {
					if !ch.Pass {
						bad = append(bad, ch.Index)
					}
				}
				verdict = "FAIL " + strings.Join(bad, ",")
			}
			fmt.Fprintf(tw, "%.2f\t%.2f\t%.2f\t%.2f\t%s\t\n", ix.FleschReadingEase, ix.FleschKincaidGrade, ix.ColemanLiau, ix.ARI, verdict)
		}
		tw.Flush()
		fmt.Printf("limits %s; FRE higher is easier, the grades are school years\n", limits.Version)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d text(s) fail the limits of their segment", failed, len(results))
	}
	return nil
}

// readabilityFormatFlag defines --format of the readability commands: table or json.
func readabilityFormatFlag(fs *flagSet) *string {
	return envChoice(fs, "format", "CXSTAR_READABILITY_FORMAT", "table", "output: table or json", "table", "json")
}

// limitsFile is --limits, the readability limits file of the readability commands.
type limitsFile struct{ path *string }

// limitsFlag defines --limits.
func limitsFlag(fs *flagSet) limitsFile {
	return limitsFile{envString(fs, "limits", "CXSTAR_READABILITY_LIMITS", "", "limits file (default: the embedded readability/limits/segments.yaml)")}
}

// load reads the limits file of --limits, or returns the embedded limits when it is empty.
func (f limitsFile) load() (*readability.Limits, error) {
	if *f.path == "" {
		return readability.DefaultLimits(), nil
	}
	return readability.LoadLimits(*f.path)
}
