package gen_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/interflow/flowbench/gen"
)

// Read a CSV file, split it from a seed, standardize with the training rows' statistics.
func ExampleLoadDataFile() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "points.csv")
	os.WriteFile(path, []byte("x,y\n1,10\n2,20\n3,30\n4,40\n5,50\n6,60\n7,70\n8,80\n"), 0o644)

	split, _ := gen.NewSplit(7, 0.75, 0, 0.25)
	f, err := gen.LoadDataFile(path, split)
	if err != nil {
		fmt.Println(err)
		return
	}
	train, _ := f.Part(gen.PartTrain)
	test, _ := f.Part(gen.PartTest)
	st, _ := f.TrainStats()
	fmt.Println("columns:", f.All.Columns, "rows:", f.All.N)
	fmt.Println("train + test rows:", train.N+test.N)
	fmt.Println("standardized test rows:", st.Standardized(test).N)
	// Output:
	// columns: [x y] rows: 8
	// train + test rows: 8
	// standardized test rows: 2
}

// A bad file is reported with its name, line, column and what is wrong.
func ExampleReadTable_error() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bad.csv")
	os.WriteFile(path, []byte("x,y\n1,2\n3,NaN\n"), 0o644)
	_, err := gen.ReadTable(path)
	fmt.Println(err.(*gen.DataError).Line, err.(*gen.DataError).Column, err.(*gen.DataError).Msg)
	// Output:
	// 3 y NaN is not allowed
}

// Compare two sample sets: a toy's draws against draws with a different seed, and against
// another toy.
func ExampleCompare() {
	a := gen.SampleN(gen.EightGaussians{}, 1000, 1)
	b := gen.SampleN(gen.EightGaussians{}, 1000, 2)
	c := gen.SampleN(gen.Checkerboard{}, 1000, 3)
	same := gen.Compare(a, b, 2, 0, 0)
	diff := gen.Compare(a, c, 2, 0, 0)
	fmt.Println(same.Energy < diff.Energy, same.MMD < diff.MMD, same.SW2 < diff.SW2)
	// Output:
	// true true true
}

// The exact log-density of a generated data set gives the true NLL a model is compared with.
func ExampleNewToy() {
	s, _ := gen.NewToy("checkerboard")
	x := gen.SampleN(s, 3, 1)
	fmt.Printf("%.4f\n", -s.(gen.Density).LogProb(x[:2]))
	// Output:
	// 3.4657
}
