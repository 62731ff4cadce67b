// Package gen is the user-facing library of flowbench: training, sampling and likelihood
// for normalizing flows built from stochastic interpolants (Albergo & Vanden-Eijnden, ICLR
// 2023). Data come from package dataset, sample metrics from package metrics; gen joins
// them to the velocity network (nn), the interpolants (interp) and the solvers (solver).
//
// # Training
//
// Train fits the velocity network by the method's quadratic loss
// E|v(t, x_t) − dI/dt|² with x_t = a(t)·x0 + b(t)·x1 (no ODE solve during training), with
// Adam, schedules, clipping, EMA, validation with early stopping, atomic periodic
// checkpoints, cancellation through a context (the last checkpoint is kept) and bit-exact
// resumption. TrainConfig is typed: the interpolant (interp.Interpolant), the time
// distribution (interp.TimeDist), the base (BaseKind) and the schedule (LRSchedule) are
// values, and their string forms (interp.Parse, interp.ParseTimeDist, ParseBase,
// ParseLRSchedule) are what the CLI reads and checkpoints record. DefaultTrainConfig gives the
// quality configuration.
//
// Training data (TrainData) are a generated data set, a file (LoadTrainData: split, standardized
// with its training rows' statistics, dequantized when 8-bit) or rows in memory
// (NewTrainData, NewTrainDataFlat), which Train standardizes by default and whose statistics
// it records, so a model samples and scores in the data's own units.
//
// Path-length max–min (TrainConfig.MaxMin) ascends on the Fourier interpolant's
// coefficients and/or a learned Gaussian base (GaussianBase). TrainMLE trains by package
// mle's maximum-likelihood objective (adjoint or discretize-then-optimize) through the same
// loop; package compare runs both objectives for one wall-clock budget.
//
// # Using a model
//
// A *Model (LoadModel, or returned by Train) samples by ODE or SDE (Model.Sample), maps data
// to the base (Model.Encode) and evaluates log-densities in data units with exact or
// Hutchinson divergence (Model.LogProb; SummarizeNLL for mean, standard error and bits/dim).
// All randomness comes from explicit seeds, and results are bit-identical for any thread
// count. SampleOptions.Shard and LikelihoodOptions.Shard compute one shard of a job split over
// processes (Shard: whole solving chunks), with the bits of the unsharded call; SummarizeLogP
// summarizes exact partial sums (metrics.Moments) that merge across shards.
//
// # Concurrency
//
// Sample, LogProb and Encode may run on several goroutines at once on one Model: each call
// takes its own view of the network (shared parameters, private workspace), so concurrent
// results have the same bits as serial ones. Mutating a Model while they run is not safe.
//
// gen knows nothing of the CLI, of file formats (package dataset reads them) or of kernels'
// tiers.
package gen
