// Package dataset reads, writes, generates and splits the data that flowbench trains on and
// scores.
//
// # Files
//
// CSV/TSV (with or without a header row, CRLF, a UTF-8 byte-order mark), NumPy .npy
// (float32/float64, C order) and IDX (MNIST's format), plain or gzipped, are streamed
// through one RowReader (OpenRows) or read whole into a Table (ReadTable). Every rejection
// is an *Error naming the file and, where they apply, the line or row and the column. WriteCSV
// and WriteNPY write flat row-major tables.
//
// # Generated data
//
// The 2-D toys of FFJORD (NewToy, ToyNames: swissroll, circles, rings, moons, 8gaussians,
// pinwheel, 2spirals, checkerboard, line, cos) and the 64-D mixture gmm64 are Samplers; the
// ones with a closed-form density implement Density. SampleN draws n points from a seed.
//
// # Splits and statistics
//
// Split is a seeded train/validation/test split of a file's rows, recorded with the file's
// SHA-256 (LoadFile, File.Part); Stats (one-pass Welford, StatsAccumulator) standardizes and
// reports the log-determinant of the map; Dequantize adds uniform noise to 8-bit values.
//
// The package knows nothing of models, training, solvers or kernels: it imports only the
// standard library and internal/enum (the names of SplitPart).
package dataset
