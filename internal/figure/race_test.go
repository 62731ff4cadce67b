//go:build race

package figure

// raceEnabled reports a build with the race detector (rendering checks are skipped there).
const raceEnabled = true
