// Command serveclient scores two rows with a running `flowbench serve` (the README's Go
// client; a test runs it and the Python client against a server and checks their answers
// against the library's).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "the server's address")
	flag.Parse()
	if err := run(os.Stdout, *url, os.Getenv("FLOWBENCH_TOKEN")); err != nil {
		fmt.Fprintln(os.Stderr, "serveclient:", err)
		os.Exit(1)
	}
}

// run asks the server at url for the log-density of two rows and prints them.
func run(w io.Writer, url, token string) error {
	body, err := json.Marshal(map[string]any{"x": [][]float32{{0.5, -1}, {2, 0.25}}, "solver": "rk4", "steps": 20})
	if err != nil {
		return err
	}
	var out struct {
		LogProb []float64 `json:"log_prob"`
		NFE     int       `json:"nfe"`
		Error   string    `json:"error"`
	}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequest(http.MethodPost, url+"/v1/log_prob", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 5 { // the queue is full: wait as told
			secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(secs, 1)) * time.Second)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", resp.Status, err)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", resp.Status, out.Error)
		}
		break
	}
	for i, lp := range out.LogProb {
		fmt.Fprintf(w, "row %d: log p = %v\n", i, lp)
	}
	fmt.Fprintf(w, "%d field evaluations\n", out.NFE)
	return nil
}
