package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The domain (vote), the fraud checks and the hub know nothing of Redis, of the web framework or
// of ballot files: the packages they depend on, standard library included, name no go-redis,
// Fiber, fasthttp or YAML package.
func TestDomainDependencies(t *testing.T) {
	forbidden := []string{"github.com/redis/", "github.com/gofiber/", "github.com/valyala/fasthttp", "github.com/fasthttp/", "yaml"}
	for _, pkg := range []string{"./vote", "./fraud", "./hub"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
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
