package gen

// The fixed 64-D Gaussian mixture of the W-train-64d workload is a named data set too, so
// that train/nll/eval/bench take it as --data gmm64.
func init() { RegisterToy("gmm64", func() Sampler { return GMM64() }) }
