package sbi

import "math"

// Gauss–Kronrod (7, 15) nodes on [−1, 1] (non-negative half, descending) and weights, as in
// QUADPACK's qk15: xgk[1], xgk[3], xgk[5], xgk[7] are the 7-point Gauss nodes with weights wg.
var (
	xgk = [8]float64{
		0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
		0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
		0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
		0.207784955007898467600689403773245, 0,
	}
	wgk = [8]float64{
		0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
		0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
		0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
		0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
	}
	wg = [4]float64{
		0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
		0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
	}
)

// gk15 returns the 15-point Kronrod estimate of ∫_a^b f and its difference from the
// embedded 7-point Gauss estimate.
func gk15(f func(float64) float64, a, b float64) (k, err float64) {
	c, h := 0.5*(a+b), 0.5*(b-a)
	fc := f(c)
	k = wgk[7] * fc
	g := wg[3] * fc
	for j := range 7 {
		s := f(c-h*xgk[j]) + f(c+h*xgk[j])
		k += wgk[j] * s
		if j%2 == 1 {
			g += wg[j/2] * s
		}
	}
	return k * h, math.Abs(k-g) * h
}

// integrate returns ∫_a^b f to an absolute tolerance tol: the interval is cut into panels
// equal parts (so that narrow features are not missed by the first estimate) and each part
// is bisected until its Kronrod and Gauss estimates agree within its share of tol (at most
// maxDepth halvings).
func integrate(f func(float64) float64, a, b float64, panels int, tol float64) float64 {
	const maxDepth = 40
	var rec func(lo, hi, tol float64, depth int) float64
	rec = func(lo, hi, tol float64, depth int) float64 {
		k, err := gk15(f, lo, hi)
		if err <= tol || depth == maxDepth {
			return k
		}
		mid := 0.5 * (lo + hi)
		return rec(lo, mid, 0.5*tol, depth+1) + rec(mid, hi, 0.5*tol, depth+1)
	}
	var sum float64
	w := (b - a) / float64(panels)
	for i := range panels {
		lo := a + float64(i)*w
		hi := lo + w
		if i == panels-1 {
			hi = b
		}
		sum += rec(lo, hi, tol/float64(panels), 0)
	}
	return sum
}
