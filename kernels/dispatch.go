package kernels

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
)

// Tier names, as returned by Impl and accepted by SetImpl and FLOWBENCH_KERNELS.
const (
	TierGo     = "go"
	TierAVX2   = "avx2"
	TierAVX512 = "avx512"
	TierNEON   = "neon"
)

const (
	tierGo = iota
	tierAVX2
	tierAVX512
	tierNEON
)

var tierNames = [...]string{TierGo, TierAVX2, TierAVX512, TierNEON}

// tier is the selected implementation; hasTier (set per architecture in dispatch_*.go from
// cpuid, read once) says which the CPU supports.
var (
	tier    = tierGo
	hasTier [len(tierNames)]bool
)

// Impl returns the name of the selected tier: "go", "avx2", "avx512" or "neon".
func Impl() string { return tierNames[tier] }

// Tiers returns the names of the tiers this CPU and build support, best last; "go" is always
// first.
func Tiers() []string {
	var out []string
	for i, n := range tierNames {
		if hasTier[i] {
			out = append(out, n)
		}
	}
	return out
}

// SetImpl forces a tier by name. Forcing a tier the CPU or build lacks is an error. It is not
// safe to call while kernels run on other goroutines.
func SetImpl(name string) error {
	for i, n := range tierNames {
		if strings.EqualFold(n, name) {
			if !hasTier[i] {
				return fmt.Errorf("kernels: tier %q is not available on this CPU/build (have %s)", name, strings.Join(Tiers(), ", "))
			}
			tier = i
			return nil
		}
	}
	return fmt.Errorf("kernels: unknown tier %q (want one of %s)", name, strings.Join(tierNames[:], ", "))
}

// bestTier is the default: the last available tier.
func bestTier() int {
	b := tierGo
	for i := range tierNames {
		if hasTier[i] {
			b = i
		}
	}
	return b
}

// envErr records a bad FLOWBENCH_KERNELS value; EnvError reports it.
var envErr error

// EnvError returns the error from applying FLOWBENCH_KERNELS at start-up, if any (the best
// available tier is used instead).
func EnvError() error { return envErr }

func init() {
	hasTier[tierGo] = true
	detect()
	tier = bestTier()
	if v := os.Getenv("FLOWBENCH_KERNELS"); v != "" {
		if err := SetImpl(v); err != nil {
			envErr = fmt.Errorf("FLOWBENCH_KERNELS: %w", err)
		}
	}
	threads.Store(int32(runtime.GOMAXPROCS(0)))
}

var threads atomic.Int32

// SetThreads sets the number of workers the kernels use (n < 1 means GOMAXPROCS). Results
// do not depend on it.
func SetThreads(n int) {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	threads.Store(int32(n))
}

// Threads returns the number of workers the kernels use.
func Threads() int { return int(threads.Load()) }
