// Package gen is the user-facing library of flowbench: data sets, training, sampling,
// likelihood and metrics for flows built from stochastic interpolants.
package gen
