package serve

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestNoStarvation: while clients keep one key's group non-empty (a steady stream of
// coalescible requests onto one worker), a request of another key is still served in its
// turn, not after the stream ends.
func TestNoStarvation(t *testing.T) {
	// A pass takes one stream request (BatchRows), so the stream's group never empties.
	s, ts := newTestServer(t, testModel(t, 2, 0, 0), Config{Workers: 1, Queue: 64, BatchRows: 200})
	streamEnd := time.Now().Add(15 * time.Second)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	a := map[string]any{"x": randRows(200, 2, 1), "solver": "rk4", "steps": 20}
	for range 6 {
		wg.Go(func() {
			for time.Now().Before(streamEnd) {
				select {
				case <-stop:
					return
				default:
				}
				if code, b, _, err := post(context.Background(), ts.URL+"/v1/log_prob", a); code != http.StatusOK {
					t.Errorf("stream: %d %s %v", code, b, err)
					return
				}
			}
		})
	}
	waitFor(t, "the stream under way", func() bool { return len(s.slots) >= 4 })
	code, b, _, err := post(context.Background(), ts.URL+"/v1/encode", map[string]any{"x": randRows(3, 2, 2), "solver": "euler", "steps": 3})
	served := time.Now().Before(streamEnd)
	close(stop)
	wg.Wait()
	if code != http.StatusOK || !served {
		t.Errorf("the other key's request: %d %s %v, served while the stream ran: %v", code, b, err, served)
	}
}
