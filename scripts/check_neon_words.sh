#!/usr/bin/env bash
# Checks every hand-encoded NEON instruction of kernels/*_arm64.s against its comment.
#
# The Go assembler lacks most float32 ASIMD mnemonics, so the NEON kernels emit them with
# the one-instruction WORD macros of kernels/neon_arm64.h (or a bare WORD $0x...), each
# use followed by `// <GNU mnemonic>`. This script builds the kernels test binary for
# arm64, disassembles it with `go tool objdump -gnu`, and requires, for every such source
# line, exactly one instruction whose GNU disassembly equals the comment (case and spacing
# aside). It fails on a missing comment, a line the binary lacks, or any mismatch.
#
# Usage: bash scripts/check_neon_words.sh   (needs only the Go toolchain; no arm64 CPU)
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOARCH=arm64 go test -c -o "$tmp/kernels.test" ./kernels
go tool objdump -gnu "$tmp/kernels.test" >"$tmp/dis.txt"

python3 - "$tmp/dis.txt" kernels <<'PY'
import os, re, sys

dis_path, kdir = sys.argv[1], sys.argv[2]
kabs = os.path.abspath(kdir)

# Macros of neon_arm64.h that expand to a WORD.
macros = set()
for line in open(os.path.join(kdir, "neon_arm64.h")):
    m = re.match(r"#define\s+(\w+)\(.*\)\s+WORD\b", line)
    if m:
        macros.add(m.group(1))

# (file, line) -> list of GNU disassembly strings, for our own .s files only.
gnu = {}
cur_ours = False
for line in open(dis_path):
    if line.startswith("TEXT "):
        cur_ours = (kabs + "/") in line and "_arm64.s" in line
        continue
    if not cur_ours:
        continue
    f = line.rstrip("\n").split("\t")
    f = [x for x in f if x != ""]
    if len(f) < 4:
        continue
    loc, text = f[0].strip(), f[3]
    if "//" not in text:
        continue
    gnu.setdefault(loc, []).append(text.split("//", 1)[1].strip())

def norm(s):
    s = s.strip().lower()
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"\s*,\s*", ", ", s)
    s = s.replace("#0.0", "#0")
    return s

use = re.compile(r"^\s*(?:(" + "|".join(sorted(macros)) + r")\(|WORD\s)")
checked, bad = 0, 0
for name in sorted(os.listdir(kdir)):
    if not name.endswith("_arm64.s"):
        continue
    for no, line in enumerate(open(os.path.join(kdir, name)), 1):
        code = line.split("//", 1)[0]
        if not use.match(code):
            continue
        checked += 1
        where = "%s:%d" % (name, no)
        if "//" not in line:
            print("%s: encoded instruction without a GNU mnemonic comment: %s" % (where, line.strip()))
            bad += 1
            continue
        want = norm(line.split("//", 1)[1])
        got = gnu.get(where, [])
        if len(got) != 1:
            print("%s: expected one instruction in the binary, found %d: %s" % (where, len(got), line.strip()))
            bad += 1
            continue
        if norm(got[0]) != want:
            print("%s: comment says %r, objdump -gnu decodes %r" % (where, want, norm(got[0])))
            bad += 1
if checked == 0:
    print("no encoded instructions found: is the script looking at the right files?")
    sys.exit(1)
print("checked %d encoded NEON instructions, %d mismatches" % (checked, bad))
sys.exit(1 if bad else 0)
PY
