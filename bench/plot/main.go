// Command plot draws vote latency percentiles (p50, p90, p99) against the number of dashboards
// as an SVG line chart, from the load tool's JSON reports (cmd/loadtest -json): bench/run.sh's
// mixed phase calls it with one N=report argument per run.
//
// Usage: plot -o out.svg [-title text] N=report.json ...
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

// point is one run: its number of dashboards and its vote latency percentiles in milliseconds.
type point struct {
	dashboards    int
	p50, p90, p99 float64
}

// report is the part of a load tool report the plot reads.
type report struct {
	Latency struct {
		P50 float64 `json:"p50_ns"`
		P90 float64 `json:"p90_ns"`
		P99 float64 `json:"p99_ns"`
	} `json:"latency"`
}

func run(_ context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "the SVG file to write; empty: stdout")
	title := fs.String("title", "vote latency against dashboards", "the chart's title")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("no N=report.json argument")
	}
	var pts []point
	for _, a := range fs.Args() {
		p, err := readPoint(a)
		if err != nil {
			return err
		}
		pts = append(pts, p)
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].dashboards < pts[j].dashboards })
	svg := draw(*title, pts)
	if *out == "" {
		_, err := io.WriteString(stdout, svg)
		return err
	}
	return os.WriteFile(*out, []byte(svg), 0o644)
}

// readPoint reads one N=report.json argument.
func readPoint(arg string) (point, error) {
	n, file, ok := strings.Cut(arg, "=")
	if !ok {
		return point{}, fmt.Errorf("%q: want N=report.json", arg)
	}
	d, err := strconv.Atoi(n)
	if err != nil || d < 0 {
		return point{}, fmt.Errorf("%q: N must be a number of dashboards", arg)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return point{}, err
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		return point{}, fmt.Errorf("%s: %w", file, err)
	}
	return point{d, r.Latency.P50 / 1e6, r.Latency.P90 / 1e6, r.Latency.P99 / 1e6}, nil
}

// Geometry of the chart, in SVG user units.
const (
	width, height         = 640, 400
	left, right, top, bot = 70, 110, 40, 50
	plotW, plotH          = width - left - right, height - top - bot
	yTicks                = 5
)

// draw returns the chart: x the dashboards (linear from 0), y the latency in ms (linear from 0),
// one line per percentile.
func draw(title string, pts []point) string {
	maxX, maxY := 1.0, 1.0
	for _, p := range pts {
		maxX = math.Max(maxX, float64(p.dashboards))
		maxY = math.Max(maxY, p.p99)
	}
	maxY = niceCeil(maxY)
	x := func(v float64) float64 { return left + v/maxX*plotW }
	y := func(v float64) float64 { return top + plotH - v/maxY*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="14">%s</text>`+"\n", left, html.EscapeString(title))
	for i := 0; i <= yTicks; i++ {
		v := maxY * float64(i) / yTicks
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, left+plotW, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%g</text>`+"\n", left-6, y(v)+4, v)
	}
	for _, p := range pts {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", x(float64(p.dashboards)), top+plotH+18, p.dashboards)
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="black"/>`+"\n", left, left+plotW, top+plotH, top+plotH)
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="black"/>`+"\n", left, left, top, top+plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">dashboards</text>`+"\n", left+plotW/2, height-10)
	fmt.Fprintf(&b, `<text transform="translate(18 %d) rotate(-90)" text-anchor="middle">vote latency (ms)</text>`+"\n", top+plotH/2)
	series := []struct {
		name  string
		color string
		value func(point) float64
	}{
		{"p50", "#2a7", func(p point) float64 { return p.p50 }},
		{"p90", "#d90", func(p point) float64 { return p.p90 }},
		{"p99", "#c33", func(p point) float64 { return p.p99 }},
	}
	for i, s := range series {
		var path []string
		for _, p := range pts {
			px, py := x(float64(p.dashboards)), y(s.value(p))
			path = append(path, fmt.Sprintf("%.1f,%.1f", px, py))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %d dashboards: %.2f ms</title></circle>`+"\n", px, py, s.color, s.name, p.dashboards, s.value(p))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", s.color, strings.Join(path, " "))
		ly := top + 10 + 18*i
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", left+plotW+12, left+plotW+32, ly, ly, s.color)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", left+plotW+38, ly+4, s.name)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*e >= v {
			return m * e
		}
	}
	return 10 * e
}
