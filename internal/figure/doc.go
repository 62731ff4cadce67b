// Package figure draws the figures of `flowbench plot` from a model: samples beside data,
// the model density (linear or log colour scale, with its colour bar), the density evolving
// over t, the velocity field as arrows at several t, trajectories from the base to the data,
// the training and validation curves, NFE and NLL against the solver tolerance, samples per
// class and grids of image samples.
//
// Every figure is a row of Panels (a plot and, where colour carries a value, its colour
// bar) in one theme (Theme: fonts, sizes, palette, margins), written by Write as PNG (at a
// chosen dpi), SVG or PDF. Titles name the data set, the model (checkpoint and
// interpolant) and what the figure shows; axes are labelled with the data's column names
// when the training file had a header, else x₁ and x₂; legends go to the corner of the
// plot that holds the fewest points, with markers drawn larger and opaque so that they can
// be seen.
//
// The work a figure needs (samples, log-densities on a grid, velocities) is computed
// through gen.Model's exported API; the functions that compute it (DensityGrid, FieldArrows,
// …) return plain values, so a test can check what a figure shows against a closed form
// without reading pixels.
package figure
