package dataset_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/interflow/flowbench/dataset"
)

// Read a CSV file, split it from a seed, standardize with the training rows' statistics.
func ExampleLoadFile() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "points.csv")
	os.WriteFile(path, []byte("x,y\n1,10\n2,20\n3,30\n4,40\n5,50\n6,60\n7,70\n8,80\n"), 0o644)

	split, _ := dataset.NewSplit(7, 0.75, 0, 0.25)
	f, err := dataset.LoadFile(path, split)
	if err != nil {
		fmt.Println(err)
		return
	}
	train, _ := f.Part(dataset.PartTrain)
	test, _ := f.Part(dataset.PartTest)
	st, _ := f.TrainStats(nil)
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
	_, err := dataset.ReadTable(path)
	fmt.Println(err.(*dataset.Error).Line, err.(*dataset.Error).Column, err.(*dataset.Error).Msg)
	// Output:
	// 3 y NaN is not allowed
}

// The exact log-density of a generated data set gives the true NLL a model is compared with.
func ExampleNewToy() {
	s, _ := dataset.NewToy("checkerboard")
	x := dataset.SampleN(s, 3, 1)
	fmt.Printf("%.4f\n", -s.(dataset.Density).LogProb(x[:2]))
	// Output:
	// 3.4657
}
