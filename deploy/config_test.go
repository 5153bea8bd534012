package deploy_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var variable = regexp.MustCompile(`\bLIVEVOTE_[A-Z0-9_]+\b`)

// programVariables returns every LIVEVOTE_ variable the livevote program names in its code: the
// string literals of the non-test Go files of the program's packages in this module (as
// `go list -deps` finds them, so a new package or file is covered by itself).
func programVariables(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f",
		`{{if .Module}}{{if .Module.Main}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}{{end}}`, ".")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, path := range strings.Fields(string(out)) {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				for _, v := range variable.FindAllString(s, -1) {
					seen[v] = true
				}
			}
			return true
		})
	}
	var vars []string
	for v := range seen {
		vars = append(vars, v)
	}
	slices.Sort(vars)
	if len(vars) < 5 {
		t.Fatalf("found only %v in the program", vars)
	}
	return vars
}

// configRow is a row of the README's configuration table.
var configRow = regexp.MustCompile("(?m)^\\| `(LIVEVOTE_[A-Z0-9_]+)` \\|")

// TestEveryVariableDocumented: every LIVEVOTE_ variable the program reads has a row in the
// README's configuration table, every row is a variable the program reads, and the deployment
// files and the operator's guide name no other.
func TestEveryVariableDocumented(t *testing.T) {
	read := programVariables(t)
	var table []string
	for _, m := range configRow.FindAllStringSubmatch(string(readFile(t, "README.md")), -1) {
		table = append(table, m[1])
	}
	for _, v := range read {
		if !slices.Contains(table, v) {
			t.Errorf("the program reads %s, which the README's configuration table does not list", v)
		}
	}
	for _, v := range table {
		if !slices.Contains(read, v) {
			t.Errorf("the README's configuration table lists %s, which the program does not read", v)
		}
	}
	for _, path := range []string{"compose.yaml", ".env.example", "Dockerfile", "docs/OPERATING.md", "deploy/nginx.conf", "deploy/prometheus.yml"} {
		for _, v := range variable.FindAllString(string(readFile(t, path)), -1) {
			if !slices.Contains(read, v) {
				t.Errorf("%s names %s, which the program does not read", path, v)
			}
		}
	}
	// The compose stack sets no variable without a meaning.
	for name, s := range readCompose(t).Services {
		for k := range s.Environment {
			if strings.HasPrefix(k, "LIVEVOTE_") && !slices.Contains(read, k) {
				t.Errorf("compose.yaml: service %s sets %s, which the program does not read", name, k)
			}
		}
	}
}
