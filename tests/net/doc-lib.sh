# SPDX-License-Identifier: ISC
# shellcheck shell=bash
#
# The examples of the man pages and the README, for the tests that run
# them (so that an example and what a test runs cannot drift apart):
#
#   doc_block FILE N     example N of FILE (relative to the top), as a
#                        reader sees it: a man page's .Bd -literal blocks
#                        and .Dl lines, in order, in any section (mdoc
#                        escapes undone); the README's
#                        indented blocks in order, indentation removed
#   doc_list FILE        "N<TAB>section<TAB>first line" for each example
#   doc_transcript DIR   read a "$ cat FILE" / "$ command" transcript on
#                        stdin: write each shown file into DIR (by its
#                        base name), print each command on one line
#                        (continuation lines joined)
#
# tests/net/t-glue-docs.sh checks that every example is run by a test.

doc_py() {
	python3 - "$@" <<'PY'
import re, sys

def man_blocks(text):
    out, sect, lit = [], None, None
    for line in text.splitlines():
        if line.startswith(".Sh "):
            sect = line[4:].strip()
            continue
        if lit is not None:
            if line.startswith(".Ed"):
                out.append((sect, lit))
                lit = None
            else:
                lit.append(unescape(line))
        elif line.startswith(".Bd -literal"):
            lit = []
        elif line.startswith(".Dl "):
            out.append((sect, [unescape(line[4:])]))
    return out

def unescape(s):
    s = s.replace("\\e", "\x00").replace("\\&", "").replace("\\-", "-")
    s = s.replace("\\(em", "\u2014")
    return s.replace("\x00", "\\")

def readme_blocks(text):
    out, sect, cur, prev = [], "", None, ""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.fullmatch(r"(-+|=+)", line) and prev.strip():
            sect = prev.strip()
        elif line.startswith("### "):
            sect = line[4:].strip()
        if line.startswith("    "):
            if cur is None:
                cur = []
                out.append((sect, cur))
            cur.append(line[4:])
        elif line.strip() == "" and cur is not None:
            # a blank line inside a block when the next line is indented
            nxt = next((l for l in lines[i + 1:] if l.strip()), "")
            if nxt.startswith("    "):
                cur.append("")
            else:
                cur = None
        else:
            cur = None
        prev = line
    return out

def blocks(path):
    text = open(path).read()
    return readme_blocks(text) if path.endswith("README") else man_blocks(text)

cmd, path = sys.argv[1], sys.argv[2]
b = blocks(path)
if cmd == "block":
    n = int(sys.argv[3])
    if not 1 <= n <= len(b):
        sys.exit("%s has no example %d" % (path, n))
    print("\n".join(b[n - 1][1]))
elif cmd == "list":
    for n, (sect, lines) in enumerate(b, 1):
        print("%d\t%s\t%s" % (n, sect, lines[0] if lines else ""))
PY
}

doc_block() { doc_py block "$TOP/$1" "$2"; }
doc_list() { doc_py list "$TOP/$1"; }

doc_transcript() {
	python3 -c '
import os, re, sys
d = sys.argv[1]
cur, cmds, f = None, [], None
for line in sys.stdin.read().splitlines():
    m = re.fullmatch(r"\$ cat (\S+)", line)
    if m:
        f = open(os.path.join(d, os.path.basename(m.group(1))), "w")
        continue
    if line.startswith("$ "):
        f = None
        cmds.append(line[2:])
    elif f is not None:
        f.write(line + "\n")
    elif cmds and (cmds[-1].endswith("|") or cmds[-1].endswith("\\")):
        cmds[-1] = cmds[-1].rstrip("\\").rstrip() + " " + line.strip()
for c in cmds:
    print(c)
' "$1"
}
