// Package diag holds the diagnostics of simulation-based inference, as plain functions over
// samples (flat row-major []float64 with an explicit dimension) and callbacks, so that any
// posterior estimator can be checked with them: it knows nothing of models, tasks or
// flows.
//
//   - C2ST, C2STDetail: the classifier two-sample test exactly as sbibm defines it (inputs
//     z-scored by the reference samples; an MLP with two hidden layers of 10·d ReLU units
//     trained like scikit-learn's MLPClassifier defaults; 5-fold shuffled cross-validated
//     accuracy). The classifier runs in float32 on the kernels package; folds train in
//     parallel.
//   - SBC, SBCFromRanks: simulation-based calibration (Talts et al. 2018): per-dimension
//     rank statistics with a chi-square test over bins and an exact Kolmogorov–Smirnov test,
//     and RankTest.Band for the binomial band of a rank histogram.
//   - TARP, HPDCoverage, CoverageFromCredibility: expected coverage at nominal levels and as
//     a curve, by random-reference balls (Lemos et al. 2023) or highest-density regions
//     from the estimate's log-densities.
//   - ImportanceSample, ImportanceFromLogWeights: importance-sampling correction of proposal
//     draws by a log-likelihood-plus-log-prior callback, with Kish's effective sample size,
//     the log-evidence and its standard error, and sampling-importance-resampling.
//   - ChiSquareTest, ChiSquareSF, KSUniform, KolmogorovSF: the tests' distributions,
//     agreeing with scipy.stats.
//   - Corner, RankHistograms, CoverageCurve: figures (gonum.org/v1/plot) as a Figure, an
//     image that writes itself as PNG.
//
// Every function checks its inputs (shapes, non-finite values, too few samples) and
// returns an error naming the argument; none panics on user input. Results depend only on
// the inputs and the seeds in the options, never on the thread count. Nothing here keeps
// state between calls, so every function is safe to call from several goroutines at once;
// a callback is called from the calling goroutine only, in order.
package diag
