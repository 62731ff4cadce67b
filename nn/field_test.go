package nn

import "github.com/interflow/flowbench/solver"

// *MLP is the solver's velocity field with exact and Hutchinson divergences.
var _ solver.DivField = (*MLP)(nil)
