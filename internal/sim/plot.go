package sim

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"time"
)

// series is one curve of a plot: the sorted sample times and the number of
// samples that make 100 % (samples that never happened keep the curve
// below 1).
type series struct {
	label string
	times []time.Duration
	total int
}

// plot geometry, in SVG user units.
const (
	plotW, plotH     = 1000, 440
	panelW, panelH   = 400, 300
	panelTop         = 70
	panelLeft1       = 80
	panelLeft2       = 580
	plotFont         = "font-family=\"sans-serif\""
	curveStrokeWidth = 2
)

var plotColors = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

// WriteSVG writes a plot of the result: the share of nodes holding the
// update over time, and the CDF of detection times. A scenario that
// measures neither gets the panel with a note saying so. A loss sweep plots
// one curve per level.
func (r *Result) WriteSVG(w io.Writer) error {
	bw := bufio.NewWriter(w)
	var upd, det []series
	points := []*Result{r}
	if len(r.Sweep) > 0 {
		points = r.Sweep
	}
	for _, p := range points {
		label := ""
		if len(r.Sweep) > 0 {
			label = fmt.Sprintf("loss %.0f%%", p.Loss*100)
		}
		if p.UpdateNodes > 0 {
			upd = append(upd, series{label, p.UpdateTimes, p.UpdateNodes})
		}
		if p.DetectionPairs > 0 {
			det = append(det, series{label, p.DetectionTimes, p.DetectionPairs})
		}
	}
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", plotW, plotH, plotW, plotH)
	fmt.Fprintf(bw, `<rect width="%d" height="%d" fill="white"/>`+"\n", plotW, plotH)
	fmt.Fprintf(bw, `<text x="%d" y="28" text-anchor="middle" font-size="18" %s>%s</text>`+"\n", plotW/2, plotFont,
		html.EscapeString(title(r)))
	panel(bw, panelLeft1, "Share of nodes holding the update", "seconds since the write", "share of nodes", upd,
		"no update in scenario "+r.Scenario)
	panel(bw, panelLeft2, "CDF of detection times", "seconds since the failure", "share of (observer, failed) pairs", det,
		"no crash in scenario "+r.Scenario)
	fmt.Fprintln(bw, `</svg>`)
	return bw.Flush()
}

func title(r *Result) string {
	loss := fmt.Sprintf("loss %.3g", r.Loss)
	if len(r.Sweep) > 0 {
		loss = "loss sweep"
	}
	return fmt.Sprintf("scenario %s: %d nodes, seed %d, interval %gs, fanout %d, %s", r.Scenario, r.Nodes, r.Seed, r.IntervalSec, r.Fanout, loss)
}

// panel draws one step-curve panel with axes, ticks, labels and a legend.
func panel(w io.Writer, left int, title, xlabel, ylabel string, ss []series, empty string) {
	top, right, bottom := panelTop, left+panelW, panelTop+panelH
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="middle" font-size="15" %s>%s</text>`+"\n", left+panelW/2, top-14, plotFont, html.EscapeString(title))
	fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>`+"\n", left, top, panelW, panelH)
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="middle" font-size="13" %s>%s</text>`+"\n", left+panelW/2, bottom+42, plotFont, html.EscapeString(xlabel))
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="middle" font-size="13" %s transform="rotate(-90 %d %d)">%s</text>`+"\n",
		left-50, top+panelH/2, plotFont, left-50, top+panelH/2, html.EscapeString(ylabel))
	// The y axis: shares 0 to 1.
	for i := 0; i <= 4; i++ {
		v := float64(i) / 4
		y := float64(bottom) - v*panelH
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", left, y, right, y)
		fmt.Fprintf(w, `<text x="%d" y="%.1f" text-anchor="end" font-size="12" %s>%g</text>`+"\n", left-6, y+4, plotFont, v)
	}
	var tmax float64
	for _, s := range ss {
		if len(s.times) > 0 {
			tmax = max(tmax, s.times[len(s.times)-1].Seconds())
		}
	}
	if len(ss) == 0 || tmax == 0 {
		msg := empty
		if len(ss) > 0 {
			msg = "no samples"
		}
		fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="middle" font-size="14" fill="#888" %s>%s</text>`+"\n", left+panelW/2, top+panelH/2, plotFont, html.EscapeString(msg))
		return
	}
	step := niceStep(tmax * 1.05)
	xmax := math.Ceil(tmax*1.05/step) * step
	x := func(t float64) float64 { return float64(left) + t/xmax*panelW }
	for v := 0.0; v <= xmax+step/2; v += step {
		fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", x(v), top, x(v), bottom)
		fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle" font-size="12" %s>%s</text>`+"\n", x(v), bottom+18, plotFont, trimFloat(v))
	}
	for i, s := range ss {
		color := plotColors[i%len(plotColors)]
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="%d" points="%.1f,%d`, color, curveStrokeWidth, x(0), bottom)
		for k, t := range s.times {
			sec := t.Seconds()
			yPrev := float64(bottom) - float64(k)/float64(s.total)*panelH
			yNext := float64(bottom) - float64(k+1)/float64(s.total)*panelH
			fmt.Fprintf(w, " %.1f,%.1f %.1f,%.1f", x(sec), yPrev, x(sec), yNext)
		}
		last := float64(bottom) - float64(len(s.times))/float64(s.total)*panelH
		fmt.Fprintf(w, ` %.1f,%.1f"/>`+"\n", x(xmax), last)
	}
	// The legend goes bottom right, below the rising curves.
	var labelled []int
	for i, s := range ss {
		if s.label != "" {
			labelled = append(labelled, i)
		}
	}
	if len(labelled) == 0 {
		return
	}
	boxH := 18*len(labelled) + 8
	boxTop := bottom - 10 - boxH
	fmt.Fprintf(w, `<rect x="%d" y="%d" width="108" height="%d" fill="white" fill-opacity="0.9" stroke="#999"/>`+"\n", right-118, boxTop, boxH)
	for k, i := range labelled {
		ly := boxTop + 18 + 18*k
		color := plotColors[i%len(plotColors)]
		fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", right-110, ly-4, right-88, ly-4, color)
		fmt.Fprintf(w, `<text x="%d" y="%d" font-size="12" %s>%s</text>`+"\n", right-82, ly, plotFont, html.EscapeString(ss[i].label))
	}
}

// niceStep returns a tick step of 1, 2 or 5 × 10^k giving 4 to 10 ticks.
func niceStep(span float64) float64 {
	raw := span / 6
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}
