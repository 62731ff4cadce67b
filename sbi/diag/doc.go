// Package diag holds the diagnostics of simulation-based inference: the classifier
// two-sample test (C2ST) of sbibm, simulation-based calibration (SBC) with uniformity tests,
// expected coverage (TARP and highest-posterior-density), importance-sampling correction with
// the evidence and effective sample size, and their figures.
package diag
