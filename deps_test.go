package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The domain (vote), the fraud checks and the hub know nothing of Redis, of the web framework or
// of ballot files: the packages they depend on, standard library included, name no go-redis,
// Fiber, fasthttp or YAML package.
func TestDomainDependencies(t *testing.T) {
	forbidden := []string{"github.com/redis/", "github.com/gofiber/", "github.com/valyala/fasthttp", "github.com/fasthttp/", "yaml"}
	for _, pkg := range []string{"./vote", "./fraud", "./hub"} {
		deps := goListDeps(t, pkg)
		if len(deps) < 10 {
			t.Fatalf("go list -deps %s: %d packages, want the standard library's at least: %q", pkg, len(deps), deps)
		}
		for _, d := range deps {
			for _, f := range forbidden {
				if strings.Contains(d, f) {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
}

// loadTool are the packages of the load generator (cmd/loadtest) and its API client, which the
// server binary must not contain: they are a separate program (the client serves it and the
// tests).
var loadTool = []string{
	"github.com/livevote/livevote/cmd/loadtest",
	"github.com/livevote/livevote/internal/loadtest",
	"github.com/livevote/livevote/internal/apiclient",
}

// TestBinaryHasNoLoadTool checks that the server program (this package) does not link the load
// tool, with the go command's own dependency list. So that the check cannot pass by listing
// nothing, it also wants the server in the list, and the tool in the load tool's list.
func TestBinaryHasNoLoadTool(t *testing.T) {
	server := goListDeps(t, ".")
	if !slices.Contains(server, "github.com/livevote/livevote/server") {
		t.Fatalf("go list -deps . names no server package: %q", server)
	}
	for _, p := range loadTool {
		if slices.Contains(server, p) {
			t.Errorf("the server binary contains %s: the load tool is a program of its own (cmd/loadtest)", p)
		}
	}
	if tool := goListDeps(t, "./cmd/loadtest"); !slices.Contains(tool, loadTool[1]) {
		t.Errorf("go list -deps ./cmd/loadtest names no %s: %q", loadTool[1], tool)
	}
}

// goListDeps is `go list -deps pkg`: every package pkg's binary links (tests excluded).
func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the check needs the go command: %v", err)
	}
	out, err := exec.Command(goCmd, "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
