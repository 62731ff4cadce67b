// Package buf holds the one slice-growing helper that the workspaces of kernels, nn, solver
// and gen share. It knows nothing of the rest of the project.
package buf

// Grow returns s resliced to length n when its capacity allows, and a new zeroed slice of
// length n otherwise. The contents of a reused slice are left as they were: callers that
// need zeros must clear it themselves.
func Grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
