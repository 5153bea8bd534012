package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/livevote/livevote/translog"
)

// runVerify is `livevote verify -key VKEY FILE`: it checks a poll's JSON export offline
// (translog.VerifyExport: the checkpoint's signature, every figure of the export (tree_size,
// sealed_size, ballots, held, tally), every readable log row against its sealed leaf, the public
// tree replayed from the sealed leaves under the salt with every seal's commitment, the root
// rebuilt, and that the log extends every checkpoint given with -kept) and prints what it
// established. VKEY is the note verifier
// key that GET /api/v1/log-key serves (or, with @, a file holding it). The error names the first
// entry or figure that fails.
func runVerify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("livevote verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := fs.String("key", "", "the log's note verifier key (GET /api/v1/log-key), or @file holding it")
	var kept []string
	fs.Func("kept", "a signed checkpoint kept earlier (GET .../checkpoint saved to a file) that the export must extend; repeatable", func(name string) error {
		kept = append(kept, name)
		return nil
	})
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: livevote verify -key VKEY [-kept CHECKPOINT]... EXPORT.json")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *key == "" || fs.NArg() != 1 {
		fs.Usage()
		return errors.New("verify: want -key and one export file")
	}
	vkey := *key
	if name, ok := strings.CutPrefix(vkey, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		vkey = string(b)
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	var notes [][]byte
	for _, name := range kept {
		b, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		notes = append(notes, b)
	}
	v, err := translog.VerifyExport(data, strings.TrimSpace(vkey), notes...)
	if err != nil {
		return fmt.Errorf("verify %s: FAILED: %w", fs.Arg(0), err)
	}
	cp := v.Checkpoint
	fmt.Fprintf(stdout, "verify %s: OK\nlog %s: %d public entries, root %x\nsealed entries %d, of them under a seal %d\nballots %d, held %d, void %d\n",
		fs.Arg(0), cp.Origin, cp.Size, cp.Root[:], v.Sealed, v.Committed, v.Count.Ballots, v.Count.Held, v.Void)
	for _, id := range slices.Sorted(maps.Keys(v.Count.Tally)) {
		fmt.Fprintf(stdout, "  %s\t%d\n", id, v.Count.Tally[id])
	}
	return nil
}
