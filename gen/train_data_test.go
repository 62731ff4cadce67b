package gen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/interflow/flowbench/dataset"
	"github.com/interflow/flowbench/nn"
)

func TestLoadTrainAndEvalData(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.csv")
	var b strings.Builder
	b.WriteString("a,b\n")
	for i := range 200 {
		fmt.Fprintf(&b, "%d,%d\n", i, (i%7)*3)
	}
	os.WriteFile(path, []byte(b.String()), 0o644)
	td, err := LoadTrainDataWith(path, DataOptions{Split: DefaultSplit, NoDequantize: true})
	if err != nil {
		t.Fatal(err)
	}
	if td.Train == nil || td.Val == nil || td.Stats == nil || td.Split == nil || td.Split.SHA256 == "" {
		t.Fatalf("incomplete training data: %+v", td)
	}
	// The training rows are standardized: mean 0, std 1 per column.
	var s, s2 [2]float64
	for i := range td.Train.N {
		for j := range 2 {
			v := float64(td.Train.Data[2*i+j])
			s[j] += v
			s2[j] += v * v
		}
	}
	n := float64(td.Train.N)
	for j := range 2 {
		if m := s[j] / n; m*m > 1e-10 || s2[j]/n-m*m < 0.999 || s2[j]/n-m*m > 1.001 {
			t.Fatalf("column %d: mean %g, variance %g after standardization", j, m, s2[j]/n-m*m)
		}
	}
	m := constModel(t, []float32{0, 0})
	m.Data = DataInfo{Name: path, Split: td.Split, Stats: td.Stats}
	test, err := LoadEvalData(m, path, dataset.PartTest, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	all, err := LoadEvalData(m, path, dataset.PartAll, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if all.N != 200 || test.N < 1 || test.N >= 200 || td.Train.N+td.Val.N+test.N != 200 {
		t.Fatalf("split sizes: train %d val %d test %d of %d", td.Train.N, td.Val.N, test.N, all.N)
	}
	// Another file has no split recorded.
	other := filepath.Join(dir, "e.csv")
	os.WriteFile(other, []byte("1,2\n3,5\n"), 0o644)
	if _, err := LoadEvalData(m, other, dataset.PartTest, 0, 1); !errors.Is(err, ErrNoSplit) {
		t.Fatalf("err = %v, want ErrNoSplit", err)
	}
	if _, err := LoadEvalData(m, "ninegaussians", dataset.PartAll, 10, 1); err == nil || !strings.Contains(err.Error(), "not a generated data set") {
		t.Fatalf("unknown data: err = %v", err)
	}
	g, err := LoadEvalData(m, "8gaussians", dataset.PartTest, 50, 1)
	if err != nil || g.N != 50 || g.Density == nil {
		t.Fatalf("toy eval data: %v", err)
	}
}

// TestTrainStandardizesByDefault checks that rows given without statistics are standardized
// by Train (the statistics recorded in the model equal the rows' own), that the caller's
// rows are left as they were, that Raw opts out, and that bad tables are refused with an
// error naming the problem.
func TestTrainStandardizesByDefault(t *testing.T) {
	rows := make([][]float32, 400)
	for i := range rows {
		rows[i] = []float32{float32(100 + i%7), float32(-3 * (i % 5))}
	}
	td, err := NewTrainData("mine", rows)
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(td.Train.Data)
	cfg := smallConfig(3)
	m, err := Train(context.Background(), cfg, td, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(td.Train.Data, before) || td.Stats != nil {
		t.Fatal("Train modified the caller's TrainData")
	}
	want, err := dataset.ComputeStats(&dataset.Table{N: 400, D: 2, Data: before}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Data.Stats == nil || !slices.Equal(m.Data.Stats.Mean, want.Mean) || !slices.Equal(m.Data.Stats.Std, want.Std) {
		t.Fatalf("model statistics %+v, want %+v", m.Data.Stats, want)
	}
	td.Raw = true
	m, err = Train(context.Background(), cfg, td, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Data.Stats != nil {
		t.Fatal("Raw data were standardized")
	}
	for name, bad := range map[string][][]float32{
		"row 1 has 1 values": {{1, 2}, {3}},
		"no rows":            {},
		"zero variance":      {{1, 5}, {2, 5}, {3, 5}},
	} {
		td, err := NewTrainData("bad", bad)
		if err == nil {
			_, err = Train(context.Background(), cfg, td, TrainOptions{})
		}
		if err == nil || !strings.Contains(err.Error(), strings.Fields(name)[0]) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestIntegerColumnsDequantized checks that the integer columns of a table (and only they)
// are marked for dequantization, that their statistics are those of the dequantized values
// (mean + ½, variance + 1/12, so a constant integer column is dequantized), that training rows
// drawn for a step carry noise in [0, 1) data units on those columns only, and that
// NoDequantize turns it off.
func TestIntegerColumnsDequantized(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mixed.csv")
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "%d,%g,7\n", i%5, 0.37*float64(i%11)+0.01)
	}
	os.WriteFile(path, []byte(b.String()), 0o644)
	// Without dequantization the constant column is a Gaussian component (ConstantCols).
	if nd, err := LoadTrainDataWith(path, DataOptions{Split: DefaultSplit, NoDequantize: true}); err != nil || !slices.Equal(nd.ConstantCols, []int{2}) || nd.DequantizeCols != nil {
		t.Fatalf("constant column without dequantization: err = %v, constant columns %v", err, nd.ConstantCols)
	}
	td, err := LoadTrainData(path, DefaultSplit)
	if err != nil {
		t.Fatal(err)
	}
	if td.Dequantize || !slices.Equal(td.DequantizeCols, []int{0, 2}) {
		t.Fatalf("dequantized columns %v (all: %v), want [0 2]", td.DequantizeCols, td.Dequantize)
	}
	tab, err := dataset.ReadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	f := &dataset.File{All: tab, Split: *td.Split}
	if _, err := f.TrainStats(nil); err == nil {
		t.Fatal("raw statistics of a constant column accepted")
	}
	train, _ := f.Part(dataset.PartTrain)
	var m0 float64
	for i := range train.N {
		m0 += float64(train.Data[3*i]) / float64(train.N)
	}
	if got := td.Stats.Mean[0]; math.Abs(got-(m0+0.5)) > 1e-9 || math.Abs(td.Stats.Mean[2]-7.5) > 1e-12 || math.Abs(td.Stats.Std[2]-math.Sqrt(1.0/12)) > 1e-12 {
		t.Fatalf("statistics %+v, want dequantized means %g and 7.5, std of column 2 √(1/12)", td.Stats, m0+0.5)
	}
	tr := &trainer{d: 3, data: td}
	x := slices.Clone(td.Train.Data[:30])
	tr.dequantize(rand.New(rand.NewPCG(1, 2)), x)
	for i, v := range x {
		j := i % 3
		u := float64(v-td.Train.Data[i]) * td.Stats.Std[j]
		if j == 1 && u != 0 || j != 1 && !(u >= -1e-6 && u < 1+1e-6) {
			t.Fatalf("row %d column %d: noise %g in data units", i/3, j, u)
		}
	}
}

// TestConstantColumnMasked: a column constant on the training rows is recorded, and the
// trained network (inference weights and the weights training continues from) neither
// reads it nor moves it: those weights are exactly zero, so the field is the identity there.
func TestConstantColumnMasked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.csv")
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "%g,0.75,%g\n", 0.37*float64(i%11)+0.01*float64(i%7), math.Sin(float64(i)))
	}
	os.WriteFile(path, []byte(b.String()), 0o644)
	td, err := LoadTrainData(path, dataset.Split{Seed: 2, Train: 0.8, Val: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(td.ConstantCols, []int{1}) || td.Stats.Std[1] != dataset.ConstantStd {
		t.Fatalf("constant columns %v, std %v", td.ConstantCols, td.Stats.Std[1])
	}
	cfg := smallConfig(60)
	cfg.Net.Dim, cfg.ValEvery, cfg.ValN = 3, 20, 60
	m, err := Train(context.Background(), cfg, td, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Data.ConstantCols, []int{1}) {
		t.Fatalf("model records constant columns %v", m.Data.ConstantCols)
	}
	for name, net := range map[string]*nn.MLP{"inference": m.Net, "trained": m.train.net, "ema": m.train.ema.Net} {
		ls := net.Layers()
		first, last := ls[0], ls[len(ls)-1]
		for o := range first.Out {
			if first.W[1*first.Out+o] != 0 {
				t.Fatalf("%s network reads the constant column: W0[1,%d] = %v", name, o, first.W[first.Out+o])
			}
		}
		for i := range last.In {
			if last.W[i*last.Out+1] != 0 || last.B[1] != 0 {
				t.Fatalf("%s network moves the constant column: W[%d,1] = %v, b[1] = %v", name, i, last.W[i*last.Out+1], last.B[1])
			}
		}
	}
	cfg.Base = BaseLearned
	if _, err := Train(context.Background(), cfg, td, TrainOptions{}); err == nil || !strings.Contains(err.Error(), "constant") {
		t.Fatalf("learned base with a constant column: err %v", err)
	}
}
