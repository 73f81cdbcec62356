package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// report is everything measured, as printed by -json.
type report struct {
	Nodes     int          `json:"nodes"`
	Runs      int          `json:"runs"`
	TimeoutS  float64      `json:"timeout_s"`
	Libraries []libSummary `json:"libraries"`
}

// libSummary holds one library's runs and the statistics of each measure.
type libSummary struct {
	Library   string `json:"library"`
	Join      stats  `json:"join"`
	Propagate stats  `json:"propagate"`
	Detect    stats  `json:"detect"`
	// IdleMedian is the median over the runs of the bytes a node sent per
	// second at rest (-idle), -1 without -idle.
	IdleMedian float64     `json:"idle_bytes_per_node_per_sec_median"`
	Runs       []runResult `json:"runs"`
}

func summarize(lib string, runs []runResult) libSummary {
	var join, prop, detect []measure
	var idle []float64
	for _, r := range runs {
		join = append(join, r.Join)
		prop = append(prop, r.Propagate)
		detect = append(detect, r.Detect)
		if r.IdleBytesPerNodePerSec != nil {
			idle = append(idle, *r.IdleBytesPerNodePerSec)
		}
	}
	median := -1.0
	if len(idle) > 0 {
		slices.Sort(idle)
		median = idle[len(idle)/2]
		if len(idle)%2 == 0 {
			median = (idle[len(idle)/2-1] + idle[len(idle)/2]) / 2
		}
	}
	return libSummary{
		Library:    lib,
		Join:       newStats(join),
		Propagate:  newStats(prop),
		Detect:     newStats(detect),
		IdleMedian: median,
		Runs:       runs,
	}
}

func (r report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r report) writeText(w io.Writer) {
	fmt.Fprintf(w, "\nsummary: %d nodes, %d runs, timeout %v\n", r.Nodes, r.Runs, time.Duration(r.TimeoutS*float64(time.Second)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "library\tmeasure\tmedian\tmax\tok/runs")
	for _, l := range r.Libraries {
		for _, m := range []struct {
			name string
			s    stats
		}{{"join", l.Join}, {"propagate", l.Propagate}, {"detect", l.Detect}} {
			median, maxd := "-", "-"
			if m.s.OK > 0 {
				median, maxd = fmtMS(m.s.MedianMS), fmtMS(m.s.MaxMS)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\n", l.Library, m.name, median, maxd, m.s.OK, m.s.Runs)
		}
		if l.IdleMedian >= 0 {
			fmt.Fprintf(tw, "%s\tidle B/node/s\t%.0f\t\t\n", l.Library, l.IdleMedian)
		}
	}
	tw.Flush()
}

func fmtMS(ms float64) string { return fmtDuration(time.Duration(ms * float64(time.Millisecond))) }
