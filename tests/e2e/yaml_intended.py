#!/usr/bin/env python3
"""yaml_intended.py ORIGINAL EDITED PATH=VALUE...

Checks that EDITED (a node's cassandra.yaml) differs from ORIGINAL (the image's
file) ONLY in the intended values, each PATH=VALUE computed by the caller:

 1. bytes: every line that differs (difflib over the raw lines, line endings
    included) is a line of one of the intended keys, possibly commented out in
    the original (`# broadcast_address: 1.2.3.4`); each added line parses, on
    its own, to exactly {key: VALUE}; each intended key gets one added line.
    So no comment, blank line, indentation or other key moved or changed.
 2. meaning: both files parse (PyYAML, independent of yamlpatch/libyaml's
    event API in the code under test); EDITED has VALUE at every PATH, and the
    ORIGINAL with those values put in equals EDITED as a whole.

PATH is dotted with list indices: seed_provider[0].parameters[0].seeds.
Prints the changed lines as TAP comments; exit 0 = only intended values
differ, 1 = something else differs (each reason on stdout as a comment).
"""
import difflib
import re
import sys

import yaml


def parse_path(path):
    parts = []
    for comp in path.split("."):
        m = re.fullmatch(r"([A-Za-z0-9_]+)((?:\[\d+\])*)", comp)
        if not m:
            raise ValueError("bad path component %r in %r" % (comp, path))
        parts.append(m.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return parts


def get(doc, parts):
    for p in parts:
        doc = doc[p]
    return doc


def put(doc, parts, value):
    for p in parts[:-1]:
        doc = doc[p]
    doc[parts[-1]] = value


def main():
    if len(sys.argv) < 4:
        print("usage: yaml_intended.py ORIGINAL EDITED PATH=VALUE...", file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        orig_bytes = f.read()
    with open(sys.argv[2], "rb") as f:
        edit_bytes = f.read()
    intended = []
    for arg in sys.argv[3:]:
        path, _, value = arg.partition("=")
        intended.append((path, parse_path(path), value))
    keys = {parts[-1] for _, parts, _ in intended}
    problems = []

    # 1. bytes
    a = orig_bytes.decode("utf-8").splitlines(keepends=True)
    b = edit_bytes.decode("utf-8").splitlines(keepends=True)
    key_line = re.compile(r"^\s*(?:#\s*)?(?:-\s+)?([A-Za-z0-9_]+)\s*:")
    added_for = {k: 0 for k in keys}
    changed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for line in a[i1:i2]:
            changed += 1
            print("#   - %d: %s" % (i1 + 1, line.rstrip("\n")))
            m = key_line.match(line)
            if not m or m.group(1) not in keys:
                problems.append("line %d removed or changed, not an intended key: %r" % (i1 + 1, line))
            i1 += 1
        for line in b[j1:j2]:
            changed += 1
            print("#   + %d: %s" % (j1 + 1, line.rstrip("\n")))
            m = key_line.match(line)
            if not m or m.group(1) not in keys or line.lstrip().startswith("#"):
                problems.append("line %d added, not an intended key: %r" % (j1 + 1, line))
            else:
                key = m.group(1)
                try:
                    one = yaml.safe_load(re.sub(r"^\s*(?:-\s+)?", "", line))
                except yaml.YAMLError as e:
                    one = None
                    problems.append("line %d does not parse on its own: %s" % (j1 + 1, e))
                want = [v for _, parts, v in intended if parts[-1] == key]
                if one is not None and (not isinstance(one, dict) or len(one) != 1
                                        or str(one.get(key)) not in want):
                    problems.append("line %d: %r is not %s: %s" % (j1 + 1, line.strip(), key, " or ".join(want)))
                added_for[key] += 1
            j1 += 1
    for key, n in added_for.items():
        if n != 1:
            problems.append("key %s: %d added lines, want exactly 1" % (key, n))
    print("# %d line(s) differ" % changed)

    # 2. meaning
    try:
        orig = yaml.safe_load(orig_bytes)
        edit = yaml.safe_load(edit_bytes)
    except yaml.YAMLError as e:
        problems.append("a file does not parse: %s" % e)
    else:
        for path, parts, value in intended:
            try:
                got = get(edit, parts)
            except (KeyError, IndexError, TypeError):
                problems.append("%s missing from the edited file" % path)
                continue
            if str(got) != value:
                problems.append("%s is %r, want %r" % (path, got, value))
            try:
                put(orig, parts, got)
            except (KeyError, IndexError, TypeError):
                problems.append("%s: no parent in the original" % path)
        if orig != edit:
            diff = [k for k in set(orig) | set(edit) if orig.get(k) != edit.get(k)]
            problems.append("other values differ too: %s" % ", ".join(sorted(diff)))

    for p in problems:
        print("# " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
