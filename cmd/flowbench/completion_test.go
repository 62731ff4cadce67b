package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Each completion script is valid for its shell (bash -n, zsh -n, fish -n; a shell that is
// not installed is skipped), and the bash script, driven as bash drives it, completes
// commands, subcommands and each command's own flags.
func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	for _, sh := range []string{"bash", "zsh", "fish"} {
		t.Run(sh, func(t *testing.T) {
			r := runInProcess("completion", sh)
			if r.code != 0 || !strings.Contains(r.stdout, "flowbench") {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			p := filepath.Join(dir, "flowbench."+sh)
			if err := os.WriteFile(p, []byte(r.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			bin, err := exec.LookPath(sh)
			if err != nil {
				t.Skipf("%s is not installed: syntax not checked", sh)
			}
			if out, err := exec.Command(bin, "-n", p).CombinedOutput(); err != nil {
				t.Fatalf("%s -n: %v\n%s", sh, err, out)
			}
		})
	}
	wantRejected(t, runInProcess("completion", "tcsh"), 2, `unknown shell "tcsh"`)
	wantRejected(t, runInProcess("completion"), 2, "want one shell")

	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script := filepath.Join(dir, "flowbench.bash")
	for _, c := range []struct {
		words []string // after "flowbench"; the last is the word being completed
		want  string   // the candidates, space-separated
	}{
		{[]string{"tr"}, "train"},
		{[]string{"train", "--ou"}, "--out"},
		{[]string{"train", "--conf"}, "--config"},
		{[]string{"train", "--data", "moons", "--time-"}, "--time-dist --time-freqs --time-limit"},
		{[]string{"nll", "--st"}, "--steps"},
		{[]string{"info", "--m"}, "--model"},
		{[]string{"bench", "o"}, "objectives"},
		{[]string{"bench", "objectives", "--bu"}, "--budget"},
		{[]string{"bench", "kernels", "--bu"}, ""}, // --budget is objectives' only
		{[]string{"sbi", "s"}, "simulate"},
		{[]string{"sbi", "simulate", "--ta"}, "--task"},
		{[]string{"help", "ve"}, "version"},
		{[]string{"v"}, "version"},
	} {
		words := append([]string{"flowbench"}, c.words...)
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + w + "'"
		}
		prog := "source " + script + "; COMP_WORDS=(" + strings.Join(quoted, " ") + "); COMP_CWORD=" + strconv.Itoa(len(words)-1) + `; _flowbench; echo "${COMPREPLY[*]}"`
		out, err := exec.Command(bash, "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", c.words, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("flowbench %s<TAB>: %q, want %q", strings.Join(c.words, " "), got, c.want)
		}
	}
}
