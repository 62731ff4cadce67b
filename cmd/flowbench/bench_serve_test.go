package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestBenchServeShort runs `bench serve --short --json` (the 2-D model, short loads) and
// checks its lines: the library's throughput, the three client counts with every request
// answered 200 and latencies ordered, the window sweep, and two overload runs in which every
// request got an answer, 200 or 429, some of each.
func TestBenchServeShort(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a timed benchmark")
	}
	lines := jsonLines(t, 10, "bench", "serve", "--short", "--json")
	var clients []int
	for _, l := range lines[:9] {
		var r struct {
			Workload              string
			Clients, Requests, OK int
			RowsPerS              float64 `json:"rows_per_s"`
			P50                   float64 `json:"p50_ms"`
			P99                   float64 `json:"p99_ms"`
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil || json.Unmarshal([]byte(l), &raw) != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if raw["cpu"] == "" || raw["dim"] != 2.0 {
			t.Errorf("line %q: no cpu or dim", l)
		}
		switch r.Workload {
		case "serve-lib":
			if r.RowsPerS <= 0 {
				t.Errorf("line %q: no throughput", l)
			}
		case "serve":
			clients = append(clients, r.Clients)
			if r.Requests == 0 || r.OK != r.Requests || r.RowsPerS <= 0 || !(r.P50 > 0 && r.P50 <= r.P99) {
				t.Errorf("line %q: not every request answered 200, or bad latencies", l)
			}
		case "serve-window":
		case "serve-overload":
			st := func(k string) int { v, _ := raw[k].(float64); return int(v) }
			if st("no_answer") != 0 || st("status_other") != 0 || st("status_503") != 0 || st("status_200") == 0 || st("status_429") == 0 ||
				st("status_200")+st("status_429") != st("requests") {
				t.Errorf("overload line %q: want every request answered 200 or 429, some of each", l)
			}
		default:
			t.Errorf("unknown workload in %q", l)
		}
	}
	if !slices.Equal(clients, []int{1, 8, 64}) {
		t.Errorf("client counts %v, want 1, 8, 64", clients)
	}
	if !strings.Contains(lines[9], `"summary":true`) {
		t.Errorf("last line %q is not the summary", lines[9])
	}
}
