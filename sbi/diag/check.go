package diag

import (
	"fmt"
	"math"
)

// checkRows checks, for the function fn, that a is a flat row-major matrix of rows of width d, with at least
// minRows rows and only finite values, and returns the number of rows. name is the
// argument's name in the error.
func checkRows(fn, name string, a []float64, d, minRows int) (int, error) {
	if d < 1 {
		return 0, fmt.Errorf("diag: %s: dimension d = %d, want ≥ 1", fn, d)
	}
	if len(a)%d != 0 {
		return 0, fmt.Errorf("diag: %s: %s has %d values, not a whole number of rows of width d = %d", fn, name, len(a), d)
	}
	n := len(a) / d
	if n < minRows {
		return 0, fmt.Errorf("diag: %s: %s has %d rows, want at least %d", fn, name, n, minRows)
	}
	if err := checkFinite(fn, name, a, d); err != nil {
		return 0, err
	}
	return n, nil
}

// checkFinite returns an error naming the first NaN or ±Inf in a (row and column for
// width d).
func checkFinite(fn, name string, a []float64, d int) error {
	for i, v := range a {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if d > 1 {
				return fmt.Errorf("diag: %s: %s[row %d, column %d] = %v, want a finite value", fn, name, i/d, i%d, v)
			}
			return fmt.Errorf("diag: %s: %s[%d] = %v, want a finite value", fn, name, i, v)
		}
	}
	return nil
}

// checkLevels checks nominal credibility levels: each in (0, 1).
func checkLevels(fn, name string, levels []float64) error {
	for i, a := range levels {
		if !(a > 0 && a < 1) {
			return fmt.Errorf("diag: %s: %s[%d] = %v, want a level in (0, 1)", fn, name, i, a)
		}
	}
	return nil
}
