// Package coupling pairs the two ends of a training batch: given n base points x0 and n data
// points x1, it chooses which x0 goes with which x1. The trainer draws both ends
// independently; a coupling only reorders x0 within the batch, so each end keeps its own
// marginal law and the interpolant's marginal path still joins ρ0 and ρ1 (the likelihood
// of a model trained on coupled pairs stays exact), while the pairs, and so the paths the
// velocity field averages over, become shorter and straighter.
//
// Three couplings (Method):
//
//   - Independent: the pairs as drawn (the identity pairing).
//   - OT: exact minibatch optimal transport for the squared distance, the permutation σ
//     that minimizes Σ_i |x0_σ(i) − x1_i|², found by Assign, a shortest-augmenting-path
//     solver in the manner of Jonker and Volgenant (column reduction, then one Dijkstra
//     search on reduced costs per unassigned row; O(n³) in the worst case, float64 costs).
//   - Sinkhorn: entropic OT with regularization ε (in squared-distance units of the
//     points given): the plan P = argmin ⟨P, C⟩ − ε·H(P) with uniform marginals, computed by
//     log-domain Sinkhorn iterations (SinkhornPlan), then sampled without replacement into
//     a permutation (SamplePlan). As ε → 0 it tends to OT, as ε → ∞ to a uniformly random
//     pairing, which has the law of the independent coupling.
//
// The cost matrix C_ij = |x0_i|² + |x1_j|² − 2·x0_i·x1_j (SqDist) takes its cross term from
// kernels.Gemm (float32 products, float64 norms and sums, clamped at 0).
//
// # Determinism
//
// Every result is a function of the inputs (and, for SamplePlan, of the random source)
// alone: the GEMM gives the same bits at any kernels thread count, and the solvers are
// serial float64 code with fixed loop orders. Ties in the assignment are broken by the
// lowest index.
//
// # Concurrency
//
// A Coupler and a Workspace hold buffers and serve one goroutine at a time; the
// package-level functions that take a *Workspace are safe for concurrent use with distinct
// workspaces.
package coupling
