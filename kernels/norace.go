//go:build !race

package kernels

// The race annotations of race.go, empty outside race builds.

func raceRead(s []float32)                         {}
func raceWrite(s []float32)                        {}
func raceReadMat(s []float32, rows, cols, ld int)  {}
func raceWriteMat(s []float32, rows, cols, ld int) {}
