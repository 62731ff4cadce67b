package gen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/internal/quote"
	"github.com/interflow/flowbench/metrics"
)

// DefaultSplit is the train/validation/test split of data files used when none is given:
// 80/10/10 from seed 0.
var DefaultSplit = dataset.Split{Seed: 0, Train: 0.8, Val: 0.1, Test: 0.1}

// DataOptions are the options of LoadTrainDataWith.
type DataOptions struct {
	// Split assigns a file's rows to training, validation and test.
	Split dataset.Split
	// NoDequantize keeps integer-valued columns as they are. By default every column whose
	// values are all whole numbers (dataset.Table.IntegerColumns) is dequantized: U[0, 1)
	// noise in data units, drawn afresh for every training row, so the model is a density
	// on the reals whose NLL bounds the discrete data's −log P from above (Theis et al.
	// 2016); 8-bit files (IDX) are always dequantized.
	NoDequantize bool
	// ValPath, when set, is a file whose rows are the validation set (then Split.Val must be
	// 0); it must have the training file's columns.
	ValPath string
	// AutoVal sets Split's validation fraction from the file's number of rows, AutoValFrac;
	// Split.Test is kept and the training part takes the rest.
	AutoVal bool
	// CondPath, when set, is a file of contexts: row i is the context of row i of the data
	// file (same number of rows), split with the data's split; the model is conditional.
	CondPath string
	// CondLabels says that CondPath holds one integer class label (0, 1, …) per row.
	CondLabels bool
}

// AutoValFrac is DataOptions.AutoVal's validation fraction for a file of n rows: 0.2 below
// 2,500 rows, so that a small table still validates on a few dozen rows, and 0.1 above.
func AutoValFrac(n int) float64 {
	if n < 2500 {
		return 0.2
	}
	return 0.1
}

// LoadTrainData prepares the training data named by nameOrPath with the given split and
// the default options (LoadTrainDataWith).
func LoadTrainData(nameOrPath string, split dataset.Split) (*TrainData, error) {
	return LoadTrainDataWith(nameOrPath, DataOptions{Split: split})
}

// LoadTrainDataWith prepares the training data named by nameOrPath: a generated data set
// (dataset.NewToy) or a data file (CSV/TSV, .npy, IDX). A file is split by opt.Split (its
// SHA-256 is recorded), its integer columns are marked for dequantization (DataOptions), and
// it is standardized with statistics of its training rows (of the dequantized values); a
// column whose training rows all hold one value is modelled as an independent Gaussian
// component (TrainData.ConstantCols, dataset.File.TrainStatsConstant).
func LoadTrainDataWith(nameOrPath string, opt DataOptions) (*TrainData, error) {
	if toy, err := dataset.NewToy(nameOrPath); err == nil {
		return &TrainData{Name: toy.Name(), Toy: toy}, nil
	} else if _, serr := os.Stat(nameOrPath); serr != nil && nameOrPath != dataset.Stdin {
		return nil, notData(nameOrPath, serr)
	}
	if opt.ValPath != "" && opt.Split.Val > 0 {
		return nil, fmt.Errorf("data %s: a validation file and a validation fraction (%g) exclude each other", quote.Name(nameOrPath), opt.Split.Val)
	}
	f, err := dataset.LoadFile(nameOrPath, opt.Split)
	if err != nil {
		return nil, err
	}
	tab := f.All
	if opt.AutoVal && opt.ValPath == "" {
		v := AutoValFrac(tab.N)
		sp, err := dataset.NewSplit(f.Split.Seed, 1-v-f.Split.Test, v, f.Split.Test)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", quote.Name(nameOrPath), err)
		}
		sp.SHA256 = f.Split.SHA256
		f.Split = sp
	}
	split := f.Split
	var cols []int
	if !tab.Bytes8 && !opt.NoDequantize {
		cols = tab.IntegerColumns()
	}
	train, err := f.Part(dataset.PartTrain)
	if err != nil {
		return nil, err // names the file
	}
	var val *dataset.Table
	switch {
	case opt.ValPath != "":
		if val, err = dataset.ReadTable(opt.ValPath); err != nil {
			return nil, err
		}
		if val.D != tab.D {
			return nil, fmt.Errorf("%s: %d columns, but the training file %s has %d", quote.Name(opt.ValPath), val.D, quote.Name(nameOrPath), tab.D)
		}
	case split.Val > 0:
		if v, err := f.Part(dataset.PartVal); err == nil {
			val = v
		}
	}
	// A column constant on the training rows cannot be standardized by them; it becomes an
	// independent Gaussian component with the scale of the other rows (ConstantCols).
	st, constant, err := f.TrainStatsConstant(cols, val)
	if err != nil {
		return nil, err
	}
	st.Standardize(train.Data)
	if val != nil {
		st.Standardize(val.Data)
	}
	train.SHA256, train.Columns = tab.SHA256, tab.Columns
	td := &TrainData{Name: nameOrPath, Train: train, Val: val, Stats: &st, Split: &split, Dequantize: tab.Bytes8,
		NoDequantize: opt.NoDequantize, ValPath: opt.ValPath, ConstantCols: constant}
	if opt.CondPath != "" {
		if err := td.attachContext(nameOrPath, tab.N, opt); err != nil {
			return nil, err
		}
	}
	if len(cols) == tab.D {
		td.Dequantize = true
	} else {
		td.DequantizeCols = cols
	}
	return td, nil
}

// NewTrainData returns training data from rows held in memory (every row of the same
// length d ≥ 1, finite values). Train standardizes them by their own statistics and
// records those in the model, so samples and log-densities are in the rows' units; a
// validation set can be added as Val (in the same units). The rows are copied.
func NewTrainData(name string, rows [][]float32) (*TrainData, error) {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, fmt.Errorf("train data %s: no rows, or rows of no columns", quote.Name(name))
	}
	d := len(rows[0])
	flat := make([]float32, 0, len(rows)*d)
	for i, r := range rows {
		if len(r) != d {
			return nil, fmt.Errorf("train data %s: row %d has %d values, row 0 has %d", quote.Name(name), i, len(r), d)
		}
		flat = append(flat, r...)
	}
	return NewTrainDataFlat(name, flat, d)
}

// NewTrainDataFlat is NewTrainData for n×d values in one row-major slice (not copied).
func NewTrainDataFlat(name string, x []float32, d int) (*TrainData, error) {
	if d < 1 || len(x) == 0 || len(x)%d != 0 {
		return nil, fmt.Errorf("train data %s: %d values is not a whole number of rows of %d columns", quote.Name(name), len(x), d)
	}
	if err := metrics.CheckSamples(x, d, "train data "+quote.Name(name)); err != nil {
		return nil, err
	}
	return &TrainData{Name: name, Train: &dataset.Table{Source: name, N: len(x) / d, D: d, Data: x}}, nil
}

// ErrNoSplit is wrapped by LoadEvalData when a part of a split is asked of a file the
// model was not trained on.
var ErrNoSplit = errors.New("no train/validation/test split is recorded for this file")

// EvalData are the points a model is scored on.
type EvalData struct {
	X    []float32 // n×d rows in data units
	N, D int
	// Density is the closed-form density of a generated data set, or nil.
	Density dataset.Density
	// Toy is the generated data set, or nil for a file.
	Toy dataset.Sampler
	// Source names the data and part scored ("8gaussians (fresh draws)", "x.csv test split").
	Source string
	// Cond is the context of each row, for a conditional model given a context file.
	Cond *Condition
}

// LoadEvalData returns the points to score a model on: n fresh draws (seeded, independent
// of training) of a generated data set, or the rows of a file in part p of the model's
// split (when the file is the one the model was trained on, by SHA-256; otherwise p must
// be PartAll). n > 0 keeps at most the first n rows of a file. The data's dimension must
// match the model's.
func LoadEvalData(m *Model, nameOrPath string, p dataset.SplitPart, n int, seed uint64) (*EvalData, error) {
	return LoadEvalDataWith(m, nameOrPath, EvalOptions{Part: p, N: n, Seed: seed})
}

// EvalOptions select the points of LoadEvalDataWith.
type EvalOptions struct {
	// Part is the part of the model's split scored (PartAll: every row of the file).
	Part dataset.SplitPart
	// DefaultPart replaces Part by the default rule: the test part of the model's
	// training file (identified by content, whatever its path), an error when that split
	// has no test part or when the file at the training path no longer has the content the
	// split was recorded on, and every row of any other file.
	DefaultPart bool
	// N > 0 keeps at most the first N rows (generated data: N fresh draws).
	N int
	// Seed seeds fresh draws and dequantization noise.
	Seed uint64
	// CondPath is the context file of a conditional model's data file (row i is the
	// context of row i; the same part of it is taken). Empty: the context file the model was
	// trained with, when the data file is the training file.
	CondPath string
}

// LoadEvalDataWith is LoadEvalData with the options of opt.
func LoadEvalDataWith(m *Model, nameOrPath string, opt EvalOptions) (*EvalData, error) {
	d := m.Dim()
	p, n, seed := opt.Part, opt.N, opt.Seed
	if toy, err := dataset.NewToy(nameOrPath); err == nil {
		if toy.Dim() != d {
			return nil, fmt.Errorf("data %s has dimension %d, the model %d", toy.Name(), toy.Dim(), d)
		}
		if n <= 0 {
			return nil, errors.New("generated data: the number of points must be ≥ 1")
		}
		ed := &EvalData{X: dataset.SampleN(toy, n, seed^0x6576616c), N: n, D: d, Toy: toy, Source: toy.Name() + " (fresh draws)"}
		ed.Density, _ = toy.(dataset.Density)
		return ed, nil
	} else if _, serr := os.Stat(nameOrPath); serr != nil && nameOrPath != dataset.Stdin {
		return nil, notData(nameOrPath, serr)
	}
	tab, err := dataset.ReadTable(nameOrPath)
	if err != nil {
		return nil, err
	}
	if tab.D != d {
		return nil, fmt.Errorf("%s: %d columns, but the model has dimension %d", quote.Name(nameOrPath), tab.D, d)
	}
	if opt.DefaultPart {
		if p, err = m.defaultPart(nameOrPath, tab.SHA256); err != nil {
			return nil, err
		}
	}
	src := nameOrPath
	full := tab.N
	if p != dataset.PartAll {
		sp := m.Data.Split
		if sp == nil || sp.SHA256 != tab.SHA256 {
			return nil, fmt.Errorf("%s: %w (it is not the file the model was trained on), so it has no %s part; use --split all", quote.Name(nameOrPath), ErrNoSplit, p)
		}
		if tab, err = sp.Take(tab, p); err != nil {
			return nil, err // names the file
		}
		src += " " + p.String() + " split"
	}
	if n > 0 && n < tab.N {
		tab.N = n
		tab.Data = tab.Data[:n*d]
	}
	rng := dataset.ToyRNG(seed, 0x6465717561)
	switch {
	case m.Data.Dequantize || tab.Bytes8:
		dataset.Dequantize(rng, tab.Data)
	case len(m.Data.DequantizeCols) > 0:
		dataset.DequantizeColumns(rng, tab.Data, d, m.Data.DequantizeCols)
	}
	ed := &EvalData{X: tab.Data, N: tab.N, D: d, Source: src}
	if err := m.evalContext(ed, nameOrPath, opt.CondPath, p, full); err != nil {
		return nil, err
	}
	return ed, nil
}

// defaultPart is EvalOptions.DefaultPart's rule for the file at path with content hash sha.
func (m *Model) defaultPart(path, sha string) (dataset.SplitPart, error) {
	sp := m.Data.Split
	switch {
	case sp != nil && sp.SHA256 == sha:
		if sp.Test > 0 {
			return dataset.PartTest, nil
		}
		return 0, fmt.Errorf("%s is the model's training file and its split has no test part (test fraction 0): choose the rows to score with --split train, val or all", quote.Name(path))
	case sp != nil && samePath(path, m.Data.Name):
		return 0, fmt.Errorf("%s: the file changed since the model was trained on it (SHA-256 %.12s…, trained on %.12s…), so its recorded split no longer applies; score every row with --split all", quote.Name(path), sha, sp.SHA256)
	}
	return dataset.PartAll, nil
}

// notData is the error of a name that is neither a generated data set nor a file that
// can be read (serr is the error of its os.Stat).
func notData(nameOrPath string, serr error) error {
	return fmt.Errorf("data %s: not a generated data set (%s) nor a readable file: %w", quote.Name(nameOrPath), strings.Join(dataset.ToyNames(), ", "), quote.Cause(serr))
}

// samePath reports whether a and b name the same path once cleaned and made absolute.
func samePath(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}
