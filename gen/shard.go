package gen

import "fmt"

// Shard names the part of a job that one of Count processes computes (Index in
// [0, Count)): a Slurm array task, say. The rows of a Sample, LogProb or Encode call are
// solved in chunks of Batch rows, and a shard owns the contiguous run of whole chunks
// [⌊Index·C/Count⌋, ⌊(Index+1)·C/Count⌋) of the C chunks, so that every row is solved in the
// same chunk, with the same base draws, probes and adaptive steps, as in one unsharded call:
// the shards' results concatenated in index order are the unsharded result bit for bit. The
// zero value (and Count = 1) is the whole job. A shard may own no rows when there are fewer
// chunks than shards.
type Shard struct {
	Index, Count int
}

// Validate reports a shard whose index is outside [0, Count) or whose count is negative.
func (s Shard) Validate() error {
	if s.Count < 0 || (s.Count == 0 && s.Index != 0) || (s.Count > 0 && (s.Index < 0 || s.Index >= s.Count)) {
		return fmt.Errorf("shard %d/%d: want an index in [0, %d)", s.Index, s.Count, max(s.Count, 1))
	}
	return nil
}

// Rows returns the rows [lo, hi) that shard s owns of n rows solved in chunks of batch rows
// (batch ≤ 0 or batch > n: one chunk of all n).
func (s Shard) Rows(n, batch int) (lo, hi int) {
	if s.Count <= 1 {
		return 0, n
	}
	if batch <= 0 || batch > n {
		batch = n
	}
	if n == 0 {
		return 0, 0
	}
	c := (n + batch - 1) / batch
	a, b := s.Index*c/s.Count, (s.Index+1)*c/s.Count
	return min(n, a*batch), min(n, b*batch)
}
