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

	cases := []struct {
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
	}
	quote := func(ws []string) string {
		q := make([]string, len(ws))
		for i, w := range ws {
			q[i] = "'" + w + "'"
		}
		return strings.Join(q, " ")
	}
	// Each shell's driver prints the candidates, one a line, with descriptions after a tab
	// (fish) or a colon (zsh's _describe); zsh's completion functions are stubs that print
	// what they are given (its completion system needs a terminal), so the prefix is
	// filtered here.
	drivers := map[string]func(words []string) string{
		"bash": func(words []string) string {
			return "source " + filepath.Join(dir, "flowbench.bash") + "; COMP_WORDS=(" + quote(words) + "); COMP_CWORD=" + strconv.Itoa(len(words)-1) +
				`; _flowbench; printf '%s\n' "${COMPREPLY[@]}"`
		},
		"zsh": func(words []string) string {
			return `_describe() { print -l -- ${(P)2}; }; compadd() { print -l -- ${(P)2}; }; _files() { }; compdef() { }; ` +
				"source " + filepath.Join(dir, "flowbench.zsh") + "; words=(" + quote(words) + "); CURRENT=" + strconv.Itoa(len(words)) +
				"; PREFIX=" + quote(words[len(words)-1:]) + "; _flowbench"
		},
		"fish": func(words []string) string {
			return "source " + filepath.Join(dir, "flowbench.fish") + "; complete -C " + quote([]string{strings.Join(words, " ")})
		},
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		bin, err := exec.LookPath(sh)
		if err != nil {
			continue // reported above
		}
		for _, c := range cases {
			words := append([]string{"flowbench"}, c.words...)
			cmd := exec.Command(bin, "-c", drivers[sh](words))
			cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(genBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v: %v\n%s", sh, c.words, err, out)
			}
			prefix := c.words[len(c.words)-1]
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				w, _, _ := strings.Cut(line, "\t")
				if sh == "zsh" {
					w, _, _ = strings.Cut(w, ":")
				}
				if w != "" && strings.HasPrefix(w, prefix) {
					got = append(got, w)
				}
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("%s: flowbench %s<TAB>: %q, want %q", sh, strings.Join(c.words, " "), g, c.want)
			}
		}
	}
}
