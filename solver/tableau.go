package solver

import "github.com/interflow/flowbench/kernels"

// tableau is an explicit Runge–Kutta Butcher tableau. For FSAL methods the last stage is
// evaluated at the new solution (a[last] == b) and becomes the next step's first stage.
type tableau struct {
	c []float64   // nodes
	a [][]float64 // a[s][j], j < s
	b []float64   // weights of the solution advanced with
	e []float64   // b − b̂: error weights (adaptive only)

	order    int // order of b
	errOrder int // order q of the embedded solution b̂; the step update uses ratio^(−1/(q+1))
	fsal     bool

	a32    [][]float32
	b32    []float32
	stages int
}

// stageInput writes the input of stage i ≥ 1, y + h·Σ_{j<i} a_ij·k[j], into dst.
func (t *tableau) stageInput(dst, y []float32, h float32, k [][]float32, i int) {
	kernels.RKCombine(dst, y, h, t.a32[i], k[:i])
}

// combine64 computes v = y[i] + h·Σ_s b[s]·float64(ks[s][i]) in float64 for every i <
// len(y), terms with b[s] == 0 skipped and the sum taken in stage order, and stores v into
// out[i] and float32(v) into out32[i]; either output may be nil, and out may alias y. A nil
// y stands for len(out) zeros (v = h·Σ_s b[s]·ks[s][i]: an error estimate). It is the
// float64 counterpart of kernels.RKCombine for states and stage inputs that keep a float64
// state (the stage derivatives stay float32: they are the field's output). The sums are
// formed stage by stage over blocks of combineBlock elements, in a stack buffer.
func combine64(out []float64, out32 []float32, y []float64, h float64, b []float64, ks [][]float32) {
	n := len(y)
	if y == nil {
		n = len(out)
	}
	var buf [combineBlock]float64
	for i0 := 0; i0 < n; i0 += combineBlock {
		m := min(combineBlock, n-i0)
		acc := buf[:m]
		first := true
		for s, c := range b[:len(ks)] {
			if c == 0 {
				continue
			}
			k := ks[s][i0 : i0+m]
			k = k[:len(acc)]
			if first {
				for i, v := range k {
					acc[i] = c * float64(v)
				}
				first = false
				continue
			}
			for i, v := range k {
				acc[i] += c * float64(v)
			}
		}
		if first {
			clear(acc)
		}
		switch {
		case y != nil && out != nil && out32 != nil: // a state update
			yb, ob, o32 := y[i0:i0+m], out[i0:i0+m], out32[i0:i0+m]
			yb, ob, o32 = yb[:len(acc)], ob[:len(acc)], o32[:len(acc)]
			for i, a := range acc {
				v := yb[i] + h*a
				ob[i], o32[i] = v, float32(v)
			}
		case y != nil && out == nil && out32 != nil: // a stage input
			yb, o32 := y[i0:i0+m], out32[i0:i0+m]
			yb, o32 = yb[:len(acc)], o32[:len(acc)]
			for i, a := range acc {
				o32[i] = float32(yb[i] + h*a)
			}
		default:
			for i, a := range acc {
				v := h * a
				if y != nil {
					v = y[i0+i] + v
				}
				if out != nil {
					out[i0+i] = v
				}
				if out32 != nil {
					out32[i0+i] = float32(v)
				}
			}
		}
	}
}

// combineBlock is the block length of combine64's stage sums.
const combineBlock = 256

func newTableau(c []float64, a [][]float64, b, bhat []float64, order, errOrder int, fsal bool) *tableau {
	t := &tableau{c: c, a: a, b: b, order: order, errOrder: errOrder, fsal: fsal, stages: len(c)}
	for _, row := range a {
		r := make([]float32, len(row))
		for j, v := range row {
			r[j] = float32(v)
		}
		t.a32 = append(t.a32, r)
	}
	t.b32 = make([]float32, len(b))
	for j, v := range b {
		t.b32[j] = float32(v)
	}
	if bhat != nil {
		t.e = make([]float64, len(b))
		for j := range b {
			t.e[j] = b[j] - bhat[j]
		}
	}
	return t
}

var tableaus = [numMethods]*tableau{
	Euler: newTableau([]float64{0}, [][]float64{{}}, []float64{1}, nil, 1, 0, false),
	Midpoint: newTableau([]float64{0, 0.5}, [][]float64{{}, {0.5}},
		[]float64{0, 1}, nil, 2, 0, false),
	Heun: newTableau([]float64{0, 1}, [][]float64{{}, {1}},
		[]float64{0.5, 0.5}, nil, 2, 0, false),
	RK4: newTableau([]float64{0, 0.5, 0.5, 1}, [][]float64{{}, {0.5}, {0, 0.5}, {0, 0, 1}},
		[]float64{1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}, nil, 4, 0, false),
	Bosh3: newTableau([]float64{0, 0.5, 0.75, 1},
		[][]float64{{}, {0.5}, {0, 0.75}, {2.0 / 9, 1.0 / 3, 4.0 / 9}},
		[]float64{2.0 / 9, 1.0 / 3, 4.0 / 9, 0},
		[]float64{7.0 / 24, 1.0 / 4, 1.0 / 3, 1.0 / 8}, 3, 2, true),
	Dopri5: newTableau([]float64{0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1},
		[][]float64{
			{},
			{1.0 / 5},
			{3.0 / 40, 9.0 / 40},
			{44.0 / 45, -56.0 / 15, 32.0 / 9},
			{19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
			{9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
			{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
		},
		[]float64{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0},
		[]float64{5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40},
		5, 4, true),
}
