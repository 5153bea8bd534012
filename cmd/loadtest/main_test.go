package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestRun checks the command's own part: the command line reaches the tool, -h prints the usage
// and succeeds, and a run the tool refuses fails before sending anything. The tool's load runs
// are tested against the real server by the root package's TestLoadtestAccounting.
func TestRun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"loadtest", "-h"}, os.Getenv, &stdout, &stderr); err != nil {
		t.Errorf("-h: %v", err)
	}
	if !strings.Contains(stderr.String(), "-url") || !strings.Contains(stderr.String(), "loopback") {
		t.Errorf("-h printed no usage: %q", stderr.String())
	}
	for _, args := range [][]string{
		{"-url", "http://192.0.2.1:8080", "-token", "t"}, // not loopback
		{"-url", "http://127.0.0.1:9", "-rate", "10"},    // a vote run without the organiser token
		{"-bogus"},
		{"extra"},
	} {
		if err := run(context.Background(), append([]string{"loadtest"}, args...), os.Getenv, &stdout, &stderr); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
