package gen

import (
	"context"
	"math"
	"testing"

	"github.com/interflow/flowbench/nn"
	"github.com/interflow/flowbench/solver"
)

// FuzzModelMetadata replaces one metadata or configuration entry of a real model's
// checkpoint (training state, history, data with its standardization, training
// configuration, interpolant, base) with fuzzed text, and loads it: loading must not panic,
// and a model that loads must give finite log-densities or an error (never a silent NaN).
func FuzzModelMetadata(f *testing.F) {
	td, err := LoadTrainData("moons", DefaultSplit)
	if err != nil {
		f.Fatal(err)
	}
	cfg := smallConfig(3)
	cfg.Net.Hidden = []int{8}
	m, err := Train(context.Background(), cfg, td, TrainOptions{})
	if err != nil {
		f.Fatal(err)
	}
	ck, err := m.Checkpoint()
	if err != nil {
		f.Fatal(err)
	}
	keys := []string{metaTrainState, metaHistory, metaData, cfgTrain, cfgInterp, cfgBase}
	for i, k := range keys {
		if i < 3 {
			f.Add(uint8(i), ck.Meta[k])
		} else {
			f.Add(uint8(i), string(ck.ConfigExtra[k]))
		}
	}
	f.Add(uint8(2), `{"name":"x","stats":{"n":1,"mean":[0,0],"std":[1e300,1]}}`)
	f.Add(uint8(3), `{"interp":"trig+sin:1e308","time_dist":"beta:0,1"}`)
	f.Add(uint8(4), `"fourier:1024"`)
	f.Fuzz(func(t *testing.T, which uint8, text string) {
		c, err := m.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		k := keys[int(which)%len(keys)]
		if int(which)%len(keys) < 3 {
			c.Meta[k] = text
		} else {
			c.ConfigExtra[k] = []byte(text)
		}
		b, err := c.Encode()
		if err != nil {
			return // not encodable as a checkpoint at all
		}
		dc, err := nn.DecodeCheckpoint(b)
		if err != nil {
			return
		}
		got, err := ModelFromCheckpoint(dc)
		if err != nil {
			return
		}
		lp, _, err := got.LogProb(context.Background(), []float32{0.3, -0.2, 1, 0.5}, LikelihoodOptions{ODE: solver.Options{Method: solver.RK4, Steps: 4}})
		if err != nil {
			return
		}
		for _, v := range lp {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("metadata %s = %q: log-density %v with no error", k, text, v)
			}
		}
	})
}
