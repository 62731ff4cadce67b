// Package gen is the user-facing library of flowbench: data, training, sampling, likelihood
// and metrics for normalizing flows built from stochastic interpolants (Albergo &
// Vanden-Eijnden, ICLR 2023).
//
// # Data
//
// Generated 2-D toys with FFJORD's parameters (NewToy, ToyNames: swissroll, circles, rings,
// moons, 8gaussians, pinwheel, 2spirals, checkerboard, line, cos) and the 64-D mixture gmm64;
// the ones with a closed-form density implement Density. Files: CSV/TSV (OpenRows,
// ReadTable), .npy (float32/float64, C order) and IDX, streamed, with every rejection a
// *DataError naming file, line/row and column. Stats (one-pass Welford) standardizes; Split
// is a seeded train/val/test split recorded with the file's SHA-256; Dequantize handles
// 8-bit data. LoadTrainData and LoadEvalData assemble these for training and scoring.
//
// # Training
//
// Train fits the velocity network by the method's quadratic loss
// E|v(t, x_t) − dI/dt|² with x_t = a(t)·x0 + b(t)·x1 (no ODE solve during training), with
// Adam, schedules, clipping, EMA, validation with early stopping, atomic periodic
// checkpoints, cancellation through a context (the last checkpoint is kept) and bit-exact
// resumption. DefaultTrainConfig gives the quality configuration. Path-length max–min
// (TrainConfig.MaxMin) ascends on the Fourier interpolant's coefficients and/or a learned
// Gaussian base (GaussianBase). TrainMLE and MLEObjective are the maximum-likelihood
// baseline (adjoint or discretize-then-optimize); CompareObjectives runs both objectives
// for one wall-clock budget.
//
// # Using a model
//
// A *Model (LoadModel, or returned by Train) samples by ODE or SDE (Model.Sample), maps data
// to the base (Model.Encode) and evaluates log-densities in data units with exact or
// Hutchinson divergence (Model.LogProb; SummarizeNLL for mean, standard error and bits/dim).
// Compare measures energy distance, MMD² and sliced W2 between sample sets. All randomness
// comes from explicit seeds, and results are bit-identical for any thread count.
//
// Files are written with WriteFileAtomic: complete or absent, never half-written.
package gen
