// Package solver integrates velocity fields over batches of points: fixed-step and adaptive
// Runge–Kutta ODE solvers forward and backward in time, the augmented likelihood system,
// and SDE samplers.
//
// # Fields
//
// A Field evaluates v(t, x) for a whole batch at one time (B rows of d float32 values,
// row-major); a DivField also returns each row's divergence, exactly or as a Hutchinson
// estimate. The solver knows nothing of networks: nn.MLP, interp.GaussianField and any user
// type plug in alike.
//
// # ODE methods
//
// Euler, Midpoint, Heun and RK4 take Options.Steps equal steps. Dopri5 (Dormand–Prince
// 5(4)) and Bosh3 (Bogacki–Shampine 3(2)) are adaptive and FSAL, with the error control of
// SciPy's solve_ivp: a step is accepted when the RMS ratio of err/(ATol + RTol·max(|y|, |ŷ|))
// is below 1 (ratio < 1), and h ← h·min(10, max(0.2, 0.9·ratio^(−1/(q+1)))), not growing
// after a rejection; the first step is chosen as in Hairer, Nørsett and Wanner. By default
// the RMS runs over the whole batch (one step size for all rows, as torchdiffeq does);
// Options.Norm = NormRow makes every row meet the tolerance. Time runs forward (t1 > t0) or
// backward; the last step lands exactly on t1. The field sees float32 states, but the
// solves keep the state in float64 and round it for every evaluation, so that the rounding
// of many small steps does not accumulate; times, the stage combinations, the error norm and
// the log-density accumulator ℓ are float64 as well.
//
// # Steppers
//
// A Stepper is one step of a fixed-step method with its stages left to the caller, for
// systems the caller evaluates itself: back-propagation through the steps (which keeps every
// stage input) or an adjoint solve with states the field does not read. The fixed-step
// solves go through the same Stepper.
//
// # Likelihood
//
// SolveDiv integrates the augmented system dx/dt = v, dℓ/dt = div v. LogDensity uses it
// from data at t back to 0: log ρ_t(x) = log ρ0(x(0)) − ∫₀ᵗ div v ds; SampleLogDensity
// pushes base samples forward and returns each sample's log-density. The divergence is
// exact (VelocityDiv) or a Hutchinson estimate with a Rademacher or Gaussian probe drawn
// once per call from Options.ProbeSeed and kept along each trajectory. Zero tolerances of
// LogDensity and SampleLogDensity select DensityRTol and DensityATol (1e-7), measured to
// give log-densities within 1e-4 nats of closed forms up to d = 784 (see DensityRTol).
//
// # SDE sampling
//
// SolveSDE integrates dX = (v ± ε(t)·s) dt + sqrt(2ε(t)) dW with the score s recovered
// from the velocity (interp.ScoreCoeffs), by Euler–Maruyama or stochastic Heun, forward
// from the base or in reverse from data; both keep the marginals of the flow. The score is
// singular at t = 1; schedules that vanish there (LinearEps, CosEps) or an early stop keep
// ε·s bounded.
//
// # Workspaces, errors, determinism
//
// A Workspace holds every buffer; reused across solves of one batch size, a solve
// allocates nothing after the first. Failures return a *StepError carrying t, the step
// size, the statistics and, for non-finite values, the first bad row; it wraps
// ErrStepUnderflow, ErrMaxSteps, ErrNonFinite, ErrScore, ErrSchedule or the context's
// error. The solver's own arithmetic is sequential and seeded, so the result depends only
// on the inputs and the field: with a field that is bit-identical across thread counts
// (nn.MLP is), so is the solve.
package solver
