package main

import (
	"math"

	"github.com/interflow/flowbench/nn"
)

// sizeLimits caps the size flags so that an absurd value is a usage error rather than an
// out-of-memory abort: each bound is far above any useful setting on one machine.
var sizeLimits = map[string]int{
	"steps": 1 << 40,
	"batch": 1 << 20, // rows per chunk or step: with width 256 already gigabytes of activations
	"width": 1 << 14,
	"depth": nn.MaxLayers,
	"n":     1 << 27, // points held in memory at once by sample, encode, nll, eval, plot and demo
	"grid":  1 << 12,
}

// mustPositive reports a usage error unless every named integer flag is ≥ 1 and within its
// bound in sizeLimits.
func mustPositive(cmd string, kv ...any) error {
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1].(int)
		if v < 1 {
			return usagef("%s: --%s must be a positive integer, got %d", cmd, kv[i], v)
		}
		if lim, ok := sizeLimits[kv[i].(string)]; ok && v > lim {
			return usagef("%s: --%s must be at most %d, got %d (it would not fit in memory)", cmd, kv[i], lim, v)
		}
	}
	return nil
}

// mustPositiveFloat reports a usage error unless every named float flag is finite and > 0.
func mustPositiveFloat(cmd string, kv ...any) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if v := kv[i+1].(float64); !(v > 0) || math.IsInf(v, 0) {
			return usagef("%s: --%s must be a positive number, got %v", cmd, kv[i], v)
		}
	}
	return nil
}
