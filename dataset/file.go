package dataset

import (
	"fmt"
	"math"
)

// File is a data file loaded for training or evaluation: its rows in data units and the
// seeded split that assigns them to train, validation and test.
type File struct {
	All   *Table // every row, in data units
	Split Split  // the split, with SHA256 set to the file's hash
}

// LoadFile reads a data file (CSV/TSV, .npy, IDX; see OpenRows) and attaches split,
// recording the file's SHA-256 in it. Every value is validated as it is read.
func LoadFile(path string, split Split) (*File, error) {
	t, err := ReadTable(path)
	if err != nil {
		return nil, err
	}
	split.SHA256 = t.SHA256
	return &File{All: t, Split: split}, nil
}

// Part returns a copy of the rows in part p (PartAll: every row), in data units, or an
// error naming the file if that part is empty.
func (f *File) Part(p SplitPart) (*Table, error) {
	return f.Split.Take(f.All, p)
}

// TrainStats returns the standardization statistics of the training part, with columns
// cols dequantized (ComputeStatsDequantized; nil: none, but every column of 8-bit data).
// A column that cannot be standardized is an error naming the file and column.
func (f *File) TrainStats(cols []int) (Stats, error) {
	keep := f.Split.Keep(PartTrain, int64(f.All.N))
	return ComputeStatsDequantized(f.All, func(i int) bool { return keep.Keep(int64(i)) }, cols)
}

// TrainStatsConstant is TrainStats, except that a column whose training rows all hold one
// value c (and that is not dequantized) is no error: it is returned in constant, with Mean c
// and Std the population standard deviation of the column over the training rows and the
// rows of val (the validation rows in data units; nil: none), or ConstantStd when those all
// hold c too. A model then treats the column as an independent N(c, Std²) component: a
// scale the training rows cannot give, taken from the other rows the run may see (the
// Gaussian fitted to them, as a full-covariance Gaussian fitted to the same rows would),
// or, with none, a point mass's 0 nats at c.
func (f *File) TrainStatsConstant(cols []int, val *Table) (s Stats, constant []int, err error) {
	keep := f.Split.Keep(PartTrain, int64(f.All.N))
	in := func(i int) bool { return keep.Keep(int64(i)) }
	s, constant, err = computeStats(f.All, in, cols, true)
	if err != nil || len(constant) == 0 {
		return s, nil, err
	}
	if val != nil && val.D != f.All.D {
		return Stats{}, nil, fmt.Errorf("data %s: validation rows have %d columns, the file %d", f.All.Source, val.D, f.All.D)
	}
	for _, j := range constant {
		var n, mean, m2 float64
		add := func(x float32) {
			n++
			delta := float64(x) - mean
			mean += delta / n
			m2 += delta * (float64(x) - mean)
		}
		for i := range f.All.N {
			if in(i) {
				add(f.All.Data[i*f.All.D+j])
			}
		}
		if val != nil {
			for i := range val.N {
				add(val.Data[i*val.D+j])
			}
		}
		sd := math.Sqrt(max(m2, 0) / n)
		if !(sd > 0) {
			sd = ConstantStd
		}
		s.Std[j] = sd
	}
	return s, constant, nil
}

// DequantizedStats returns the statistics of x + u, u ~ U[0, 1) independent of x, given
// those of x: the mean grows by ½ and the variance by 1/12.
func DequantizedStats(s Stats) Stats {
	out := Stats{N: s.N, Mean: make([]float64, len(s.Mean)), Std: make([]float64, len(s.Std))}
	for j := range s.Mean {
		out.Mean[j] = s.Mean[j] + 0.5
		out.Std[j] = math.Sqrt(s.Std[j]*s.Std[j] + 1.0/12)
	}
	return out
}

// CheckFile reports whether t is the file this split was made on (same SHA-256). Scoring
// the test part of another file would not score held-out rows, so nll and eval should
// refuse it (or use PartAll).
func (s Split) CheckFile(t *Table) error {
	if s.SHA256 == "" || t.SHA256 == s.SHA256 {
		return nil
	}
	return fileErr(t.Source, "SHA-256 %.12s… differs from the file the model was trained on (%.12s…): its train/val/test split does not apply; score all rows instead", t.SHA256, s.SHA256)
}

// Standardized returns a copy of t mapped to standardized units by s. It panics if the
// column counts differ.
func (s *Stats) Standardized(t *Table) *Table {
	if len(s.Mean) != t.D {
		panic(fmt.Sprintf("data: statistics for %d columns applied to %d", len(s.Mean), t.D))
	}
	out := *t
	out.Data = append([]float32(nil), t.Data...)
	s.Standardize(out.Data)
	return &out
}
