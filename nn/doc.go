// Package nn is the velocity network of flowbench: a multilayer perceptron v(t, x) on the
// input [x, t] (or [x, Fourier features of t]) with fused passes through the kernels
// package, exact and Hutchinson divergences, the training loss and its gradients, Adam,
// schedules, EMA and safetensors checkpoints compatible with PyTorch.
//
// # The field interface
//
// *MLP implements the solver's DivField interface (nn does not import solver):
//
//	Dim() int
//	Velocity(t float64, x, out []float32)
//	VelocityDiv(t float64, x, out []float32, div []float64)
//	VelocityDivHutchinson(t float64, x, out []float32, div []float64, probe []float32)
//
// x, out and probe hold B rows of d float32 values (row-major); div has B entries. At a
// scalar t the time features are folded into the first layer's bias.
//
// # Layout
//
// Weights are stored In×Out, row-major (the forward pass is the NN GEMM X·W), each followed
// by its bias, layer by layer, in one flat slab (Params); gradients and Adam's moments use
// the same layout (LayerViews gives per-layer views of any such slab). Checkpoints store
// the weights transposed, (out, in), under PyTorch's names net.{2i}.weight and
// net.{2i}.bias.
//
// # Passes and workspaces
//
// Every pass reuses buffers held by the MLP, so after the first call with a given batch size
// none allocates. An MLP is not safe for concurrent use; Fork gives another view of the same
// parameters with its own workspace. Parallelism comes only from the kernels' worker pool,
// so results are bit-identical for any kernels.SetThreads value.
//
//   - Velocity (velocity.go): inference, keeps nothing.
//   - Forward / Backward (batch.go): batched, one t per row, parameter gradients and dL/dx,
//     dL/dt.
//   - LossGrad (loss.go): the fused training pass for L = (1/B) Σ_rows |v − dI/dt|², with
//     G, G̃ and the kinetic term.
//   - VelocityDiv (jacobian.go): exact divergence by forward-mode propagation of the d input
//     tangents; JVP, VJP and VelocityDivHutchinson beside it.
//   - DivGrad (divgrad.go): v, the divergence and the squared Jacobian norm, then their
//     reverse-mode gradients (maximum-likelihood training of a continuous flow).
//
// The buffers live in workspace.go; the scalar-t passes run in row chunks, in parallel on
// the kernels' workers, and a LossGrad of many rows in fixed row chunks (chunks.go). Adam
// (float32 slabs; AdamStep64 for float64 parameters), schedules and EMA are in optim.go.
package nn
