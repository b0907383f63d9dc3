#!/usr/bin/env python3
"""Replays a GNU-style ChangeLog as git history, for the maintenance benchmarks.

usage: replay_changelog.py CHANGELOG(.gz) SOURCE_TREE BARE_REPO

Every ChangeLog entry (date, author, message, the files its "* path" lines name) becomes one
commit by that author on that date with that message, oldest first, touching those files of
the source tree: the first commit is the tree as it is, each later one inserts a line naming
the change into every file the entry names (a file not in the tree is created). `ChangeLog`
itself gets each entry at its top and is rotated into `ChangeLog-YYYY` at the turn of a year,
as the project does. Dates, authors, messages, paths and how they change together are the
project's; the edits inside the files are not (see BENCHMARKS.md).
"""
import calendar
import gzip
import hashlib
import os
import re
import subprocess
import sys

HEADER = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\s+(.+?)\s+<([^>]*)>\s*$")
PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+/-]*$")


def entries(path):
    opener = gzip.open if path.endswith(".gz") else open
    out, cur = [], None
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = HEADER.match(line)
            if m:
                cur = {"date": m.group(1, 2, 3), "name": m.group(4), "email": m.group(5), "lines": []}
                out.append(cur)
            elif cur is not None and (line.startswith("\t") or not line.strip()):
                cur["lines"].append(line[1:] if line.startswith("\t") else "")
    out.reverse()  # oldest first
    return out


def touched(lines):
    paths = []
    for line in lines:
        if not line.startswith("* "):
            continue
        head = re.split(r"[(:\[]", line[2:], maxsplit=1)[0]
        for tok in re.split(r"[,\s]+", head):
            tok = tok.strip()
            if tok and PATH.match(tok) and not tok.endswith("/") and ("/" in tok or "." in tok):
                if tok not in paths:
                    paths.append(tok)
    return paths


def main():
    changelog, tree, repo = sys.argv[1:4]
    log = entries(changelog)
    files = {}
    for root, _, names in os.walk(tree):
        for n in names:
            full = os.path.join(root, n)
            if os.path.islink(full):
                continue
            rel = os.path.relpath(full, tree)
            with open(full, "rb") as f:
                files[rel] = f.read()
    subprocess.run(["git", "init", "-q", "--bare", repo], check=True)
    fi = subprocess.Popen(
        ["git", "-C", repo, "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE
    )
    w = fi.stdin

    def data(b):
        w.write(b"data %d\n" % len(b))
        w.write(b)
        w.write(b"\n")

    def put(path, content):
        w.write(b"M 100644 inline %s\n" % path.encode())
        data(content)

    year, current = None, []
    for i, e in enumerate(log):
        y, mo, d = e["date"]
        # Noon UTC plus the entry's position keeps commits of one day in order.
        stamp = calendar.timegm((int(y), int(mo), int(d), 12, 0, 0)) + i % 3600
        who = f"{e['name']} <{e['email']}> {stamp} +0000".encode()
        message = "\n".join(e["lines"]).strip() or "(no message)"
        summary = message.splitlines()[0][:120]
        w.write(b"commit refs/heads/main\n")
        w.write(b"author " + who + b"\ncommitter " + who + b"\n")
        data(message.encode() + b"\n")
        if i == 0:
            for p, c in files.items():
                put(p, c)
        else:
            for p in touched(e["lines"]):
                c = files.get(p, b"")
                lines = c.split(b"\n")
                at = int(hashlib.md5(f"{i}:{p}".encode()).hexdigest()[:8], 16) % (len(lines) + 1)
                lines.insert(at, f"{'-'.join(e['date'])} {summary}".encode())
                files[p] = b"\n".join(lines)
                put(p, files[p])
        text = f"{'-'.join(e['date'])}  {e['name']}  <{e['email']}>\n\n" + "".join(
            "\t" + l + "\n" if l else "\n" for l in e["lines"]
        )
        if year is not None and y != year:
            put(f"ChangeLog-{year}", "\n".join(reversed(current)).encode())
            current = []
        year = y
        current.append(text)
        put("ChangeLog", "\n".join(reversed(current)).encode())
    w.write(b"done\n")
    w.close()
    if fi.wait() != 0:
        sys.exit("fast-import failed")
    print(f"{len(log)} commits, {len(files)} files")


if __name__ == "__main__":
    main()
