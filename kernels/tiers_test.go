package kernels

import "testing"

// subtester is *testing.T or *testing.B: what forEachTier runs its subtests on.
type subtester[T any] interface {
	testing.TB
	Run(name string, f func(T)) bool
}

// forEachTier runs f as a subtest (or sub-benchmark) under every tier name ("go", "avx2",
// "avx512", "neon"), skipping (never failing) the tiers this CPU or build lacks, and
// restores the tier after.
func forEachTier[T subtester[T]](t T, f func(t T)) {
	t.Helper()
	prev := Impl()
	defer func() { _ = SetImpl(prev) }()
	for _, name := range tierNames {
		t.Run(name, func(t T) {
			if err := SetImpl(name); err != nil {
				t.Skipf("tier %s not available: %v", name, err)
			}
			f(t)
		})
	}
}

func TestSetImplRejectsUnknownAndUnavailable(t *testing.T) {
	if err := SetImpl("sse9"); err == nil {
		t.Fatal("SetImpl accepted an unknown tier")
	}
	for i, n := range tierNames {
		err := SetImpl(n)
		if hasTier[i] != (err == nil) {
			t.Errorf("SetImpl(%q) = %v, but availability is %v", n, err, hasTier[i])
		}
	}
	_ = SetImpl(tierNames[bestTier()])
	if Impl() != tierNames[bestTier()] {
		t.Errorf("Impl() = %q after SetImpl(best)", Impl())
	}
}
