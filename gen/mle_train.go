package gen

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/interflow/flowbench/coupling"
	"github.com/interflow/flowbench/mle"
	"github.com/interflow/flowbench/nn"
)

// MLELogEntry is the record of one maximum-likelihood training step.
type MLELogEntry struct {
	Step        int     `json:"step"`
	Loss        float64 `json:"loss"`     // NLL + regularizers, the optimized value
	NLL         float64 `json:"nll"`      // batch mean −log ρ1 (model units)
	Kinetic     float64 `json:"kinetic"`  // batch mean ∫|v|² dt
	Jacobian    float64 `json:"jacobian"` // batch mean ∫‖∂v/∂x‖²_F dt
	NFE         int     `json:"nfe"`      // field evaluations of the forward solve
	NFEBackward int     `json:"nfe_backward"`
	LR          float64 `json:"lr"`
	Elapsed     float64 `json:"elapsed_s"`
}

// TrainMLE trains the network of cfg by maximum likelihood (the continuous-normalizing-flow
// baseline, FFJORD-style) instead of the interpolant loss: every step draws a batch as
// Train does, evaluates the objective of mcfg and its gradient, and applies the same
// optimizer, clipping, schedule and EMA; checkpoints, cancellation and the history work
// as in Train (the history's Loss is the MLE loss, its Kinetic the kinetic integral when
// computed). log, when non-nil, receives every step's entry with its NFE. Validation
// (ValEvery > 0) is Train's: the held-out NLL of the inference weights, with the same
// patience, plateau and best-of-run rules, since it measures the model, not the objective.
// The learned base and the max–min are interpolant-specific and rejected.
func TrainMLE(ctx context.Context, cfg TrainConfig, mcfg mle.Config, data *TrainData, opt TrainOptions, log func(MLELogEntry)) (*Model, error) {
	cfg, data, err := prepare(cfg, data)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Base != BaseNormal:
		return nil, fmt.Errorf("train mle: base %v: the MLE objective supports only the normal base", cfg.Base)
	case cfg.MaxMin > 0:
		return nil, errors.New("train mle: maxmin is an interpolant option (want 0)")
	case data.Pairs != nil:
		return nil, errors.New("train mle: paired rows (reflow) are an interpolant option")
	case cfg.Coupling != (coupling.Spec{}):
		return nil, fmt.Errorf("train mle: coupling %v is an interpolant option (want independent)", cfg.Coupling)
	}
	tr, err := newTrainer(cfg, data, opt)
	if err != nil {
		return nil, err
	}
	obj, err := mle.New(tr.net, mcfg)
	if err != nil {
		return nil, fmt.Errorf("train mle: %w", err)
	}
	return tr.runMLE(ctx, obj, log)
}

func (tr *trainer) runMLE(ctx context.Context, obj *mle.Objective, log func(MLELogEntry)) (*Model, error) {
	cfg := &tr.cfg
	var probe []float32
	if !obj.ExactDiv() {
		probe = make([]float32, len(tr.x1))
	}
	var val *valSet
	if cfg.ValEvery > 0 {
		val = tr.newValSet()
	}
	return tr.drive(ctx, val, func(lr float64) (LogEntry, error) {
		step := tr.model.State.Step
		tr.drawX1()
		for i := range probe {
			probe[i] = float32(1 - 2*int(tr.rng.Uint64()&1))
		}
		ms, err := obj.LossGrad(ctx, tr.x1, probe, tr.grad)
		if err != nil {
			if ctx.Err() != nil {
				return LogEntry{}, errStepInterrupted
			}
			return LogEntry{}, fmt.Errorf("train mle: step %d: %w%s", step+1, err, tr.keptNote())
		}
		if math.IsNaN(ms.Loss) || math.IsInf(ms.Loss, 0) {
			return LogEntry{}, fmt.Errorf("train mle: step %d: %w (%g)%s", step+1, ErrNonFiniteLoss, ms.Loss, tr.keptNote())
		}
		if cfg.Clip > 0 {
			nn.ClipGradNorm(tr.grad, cfg.Clip)
		}
		tr.adam.Update(tr.net.Params(), tr.grad, lr)
		maskConstant(tr.net, tr.data.ConstantCols)
		tr.updateEMA(step)
		if log != nil {
			log(MLELogEntry{Step: step + 1, Loss: ms.Loss, NLL: ms.NLL, Kinetic: ms.Kinetic, Jacobian: ms.Jacobian,
				NFE: ms.NFE, NFEBackward: ms.NFEBackward, LR: lr, Elapsed: tr.elapsedNow()})
		}
		return LogEntry{Loss: ms.Loss, Kinetic: ms.Kinetic}, nil
	})
}
