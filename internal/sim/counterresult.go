package sim

// CounterResult holds the figures of scenario counter (see Counter). The
// JSON field names are documented in the package comment.
type CounterResult struct {
	// Keys is the number of counters, Increments the increments made,
	// IncEverySeconds the time between two.
	Keys            int     `json:"counter_keys"`
	Increments      int     `json:"increments"`
	IncEverySeconds float64 `json:"inc_every_seconds"`
	// Queries counts the queries made while writes ran; QueryError* is
	// the true total minus the value read, over them.
	Queries       int     `json:"queries"`
	QueryErrorP50 float64 `json:"query_error_p50"`
	QueryErrorP99 float64 `json:"query_error_p99"`
	QueryErrorMax float64 `json:"query_error_max"`
	// CompleteShare is the share of those queries that said complete,
	// CompleteWhileWrongShare the share that said complete and were
	// wrong.
	CompleteShare           float64 `json:"complete_share"`
	CompleteWhileWrongShare float64 `json:"complete_while_wrong_share"`
	// QueriesBeforeSettled counts the queries made after the last
	// increment and before every node held every increment;
	// CompleteWhileWrongBeforeSettled the number of them that said
	// complete and were wrong.
	QueriesBeforeSettled            int `json:"queries_before_settled"`
	CompleteWhileWrongBeforeSettled int `json:"complete_while_wrong_before_settled"`
	// QueriesAfterQuiescence counts the queries made once writes had
	// stopped and every node held every increment;
	// CompleteShareAfterQuiescence is the share of them that said
	// complete, and CompleteWhileWrongAfterQuiescence the number that said
	// complete and were wrong.
	QueriesAfterQuiescence            int     `json:"queries_after_quiescence"`
	CompleteShareAfterQuiescence      float64 `json:"complete_share_after_quiescence"`
	CompleteWhileWrongAfterQuiescence int     `json:"complete_while_wrong_after_quiescence"`
	// IncVisibleSeconds* is, over the increments, the time until every
	// other running node held it; IncVisibleMissing counts the increments
	// some node never held.
	IncVisibleSecondsP50 float64 `json:"inc_visible_seconds_p50"`
	IncVisibleSecondsP99 float64 `json:"inc_visible_seconds_p99"`
	IncVisibleSecondsMax float64 `json:"inc_visible_seconds_max"`
	IncVisibleMissing    int     `json:"inc_visible_missing"`
	// SettledSeconds is the time from the last increment until every node
	// held every increment, -1 if that never happened.
	SettledSeconds float64 `json:"settled_seconds"`
	// TotalsExact reports that at the end every running node read every
	// counter at its true total.
	TotalsExact bool `json:"totals_exact"`
	// ReadError is the first error a query returned, if any.
	ReadError string `json:"read_error,omitempty"`
}

// rows writes c's part of a result table.
func (c *CounterResult) rows(row func(k, format string, args ...any)) {
	row("counter load", "%d increments of %d counters, one every %.3gms", c.Increments, c.Keys, c.IncEverySeconds*1000)
	row("query error (writing)", "p50 %.0f  p99 %.0f  max %.0f over %d queries", c.QueryErrorP50, c.QueryErrorP99, c.QueryErrorMax, c.Queries)
	row("complete (writing)", "%.1f%% of queries, %.1f%% complete while wrong", 100*c.CompleteShare, 100*c.CompleteWhileWrongShare)
	row("complete while wrong (settling)", "%d of %d queries between the last increment and settling", c.CompleteWhileWrongBeforeSettled, c.QueriesBeforeSettled)
	row("complete (quiescent)", "%.1f%% of %d queries; %d complete while wrong", 100*c.CompleteShareAfterQuiescence, c.QueriesAfterQuiescence, c.CompleteWhileWrongAfterQuiescence)
	row("increment seen by all (s)", "p50 %.3f  p99 %.3f  max %.3f, %d never", c.IncVisibleSecondsP50, c.IncVisibleSecondsP99, c.IncVisibleSecondsMax, c.IncVisibleMissing)
	row("settled", "%.2fs after the last increment (-1: never); totals exact everywhere: %v", c.SettledSeconds, c.TotalsExact)
	if c.ReadError != "" {
		row("read error", "%s", c.ReadError)
	}
}
