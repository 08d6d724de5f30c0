#!/usr/bin/python3
"""Corpus test of yamlpatch over every real cassandra.yaml.

For every cassandra*.yaml under the corpus directory (each release line's
conf/ and wild/), found by walking the directory, and for each operation, one
TAP line; the failures of a line are listed under it as `#` comments, and the
outputs that failed are kept under --keep for a look.

  set        every top-level scalar and seed_provider[0].parameters[0].seeds
             set to a new value: the WHOLE output equals the original bytes
             with the value's span (from PyYAML's marks) replaced by the new
             value's text; it loads under YAML 1.1 and 1.2 as the original with
             just that value changed; `yamlpatch get` returns it; the same set
             on the output changes nothing.
  set-all    the same edits in one invocation.
  uncomment  `set -u` of every commented-out top-level setting (a Config field
             of that version whose `# key:` line looks like a template): the
             last template line, replaced by `key: value`; same checks.
  prose      `set -u` of every word that has a `# word:` line but is NOT a
             setting of that version (names from the real cassandra-all jar):
             the line is never taken; the key is added as one new line.
  delete     every top-level scalar key: its whole lines removed, nothing else;
             a second delete reports "not found" (exit 3).
"""
import argparse
import collections
import concurrent.futures
import copy
import difflib
import os
import re
import shutil
import sys
import tempfile
import traceback

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import config_fields  # noqa: E402
import harness  # noqa: E402
import yamlspans as ys  # noqa: E402

EXIT_NOT_FOUND = 3


def find_corpus(conf_dir):
    """Every cassandra*.yaml of a release line and every wild/*.yaml."""
    out = []
    for root, _, files in os.walk(conf_dir):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), conf_dir)
            parts = rel.split(os.sep)
            if parts[0] == "wild" and f.endswith((".yaml", ".yml")):
                out.append(rel)
            elif re.match(r"^cassandra.*\.ya?ml$", f) and "conf" in parts:
                out.append(rel)
    return sorted(out)


def version_of(rel):
    return rel.split(os.sep)[0]


def setting_names(conf_dir, corpus):
    """{version: (names, note)} for every version present; 'wild' gets the
    union of all of them (those files carry no version)."""
    names, notes = {}, {}
    for v in sorted({version_of(r) for r in corpus} - {"wild"}):
        jars, note = config_fields.jar_versions_for(v)
        s = set()
        for j in jars:
            s.update(config_fields.jar_fields(j))
        if v == "trunk":
            latest = os.path.join(conf_dir, "trunk", "conf", "cassandra_latest.yaml")
            if os.path.exists(latest):
                with open(latest, "rb") as f:
                    s.update(ys.Doc(f.read(), latest).top_keys())
        names[v], notes[v] = s, note
    if "wild" in {version_of(r) for r in corpus}:
        names["wild"] = set().union(*names.values()) if names else set()
        notes["wild"] = "no version: names of every release line's jar"
    return names, notes


# ---- expected data ------------------------------------------------------

def with_value(data, path, value):
    out = copy.deepcopy(data)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


def without_key(data, key):
    out = copy.deepcopy(data)
    del out[key]
    return out


class Base:
    """The original document loaded by both resolvers, for comparisons."""

    def __init__(self, data):
        self.d11, self.d12 = harness.load_both(data)


def reparse_failure(label, out, base, change):
    """None when `out` loads under both resolvers as `change(original)`."""
    try:
        got11, got12 = harness.load_both(out)
    except harness.LoadError as e:
        return "%s: %s" % (label, e)
    if got11 != change(base.d11):
        return "%s: under YAML 1.1 the document is not the original with just this change" % label
    if got12 != change(base.d12):
        return "%s: under YAML 1.2 the document is not the original with just this change" % label
    return None


# ---- one file -----------------------------------------------------------

class FileTest:
    def __init__(self, binary, path, rel, names, unjudged_ok, keep_dir):
        self.bin, self.path, self.rel = binary, path, rel
        self.names, self.unjudged_ok = names, unjudged_ok
        self.keep_dir = keep_dir
        self.tap = harness.Tap()
        self.tmp = tempfile.mkdtemp(prefix="corpus-")
        with open(path, "rb") as f:
            self.doc = ys.Doc(f.read(), rel)
        self.name = rel.replace(os.sep + "conf" + os.sep, "/")

    def tmpfile(self, data, name="out.yaml"):
        p = os.path.join(self.tmp, name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def keep(self, op, key, data):
        if not self.keep_dir or data is None:
            return
        d = os.path.join(self.keep_dir, self.name.replace("/", "__"))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "%s-%s.yaml" % (op, re.sub(r"[^\w.-]", "_", key))), "wb") as f:
            f.write(data)

    def yp(self, *args):
        return harness.yamlpatch(self.bin, args)

    def get_failure(self, label, out, path, value):
        r = self.yp("get", self.tmpfile(out, "get.yaml"), path)
        got = r.out[:-1] if r.out.endswith(b"\n") else r.out
        if r.rc != 0:
            return "%s: get %s" % (label, r.why())
        if got != value.encode():
            return "%s: get printed %r, expected %r" % (label, r.out, value)
        return None

    # -- checks ----------------------------------------------------------

    def run(self):
        try:
            self.base = Base(self.doc.data)
        except harness.LoadError as e:
            self.tap.check("%s: the original loads under both resolvers" % self.name, [str(e)])
            return self.tap.lines
        self.check_set()
        self.check_set_all()
        self.check_uncomment()
        self.check_prose()
        self.check_delete()
        return self.tap.lines

    def check_set(self):
        edits, skipped = ys.set_edits(self.doc)
        self.edits = edits
        fails = []
        for e in edits:
            label, args = e.cli_path(), ["set", self.path, e.cli_arg()]
            r = self.yp(*args)
            if r.rc != 0:
                fails.append("%s: %s" % (label, r.why()))
                continue
            expected = ys.expected_set(self.doc, [e])
            if r.out != expected:
                fails.append("%s: output differs from the splice: %s"
                             % (label, harness.first_diff(expected, r.out)))
                self.keep("set", label, r.out)
                continue
            f = reparse_failure(label, r.out, self.base,
                                lambda d, e=e: with_value(d, e.path, e.loaded))
            f = f or self.get_failure(label, r.out, label, e.value)
            if f:
                fails.append(f)
                continue
            again = self.yp("set", self.tmpfile(r.out), e.cli_arg())
            if again.rc != 0 or again.out != r.out:
                fails.append("%s: the same set on its own output is not a no-op (%s)"
                             % (label, again.why() if again.rc != 0 else
                                harness.first_diff(r.out, again.out)))
        # A seed provider without parameters (wild/medusa) has no seeds: the
        # path must be reported as not found, not invented.
        seeds_note = ""
        if self.doc.lookup(ys.SEEDS_PATH) is None and self.doc.lookup(["seed_provider"]) is not None:
            r = self.yp("set", self.path, "seed_provider[0].parameters[0].seeds=10.0.0.1")
            if r.rc != EXIT_NOT_FOUND:
                fails.append("seeds absent: expected exit %d (not found), got %s"
                             % (EXIT_NOT_FOUND, r.why()))
            seeds_note = "; seeds absent -> not found"
        if skipped:
            self.tap.comment("%s: no independent expectation for %s (not set)"
                             % (self.name, ", ".join(skipped)))
        self.tap.check("%s: set %d values (top-level scalars + seeds): whole output byte-exact, "
                       "re-parse 1.1+1.2, get, second run no-op" % (self.name, len(edits)),
                       fails, note=seeds_note.lstrip("; "), count=len(edits))

    def check_set_all(self):
        edits = self.edits
        fails = []
        r = self.yp("set", self.path, *[e.cli_arg() for e in edits])
        if r.rc != 0:
            fails.append(r.why())
        else:
            expected = ys.expected_set(self.doc, edits)
            if r.out != expected:
                fails.append("output differs from the splice: %s" % harness.first_diff(expected, r.out))
                self.keep("set-all", "all", r.out)
            else:
                def change(d):
                    for e in edits:
                        d = with_value(d, e.path, e.loaded)
                    return d
                f = reparse_failure("all", r.out, self.base, change)
                if f:
                    fails.append(f)
                again = self.yp("set", self.tmpfile(r.out), *[e.cli_arg() for e in edits])
                if again.rc != 0 or again.out != r.out:
                    fails.append("second run is not a no-op (%s)" % (
                        again.why() if again.rc != 0 else harness.first_diff(r.out, again.out)))
        self.tap.check("%s: set-all: the %d edits in one invocation byte-exact, re-parse, "
                       "second run no-op" % (self.name, len(edits)), fails, count=len(edits))

    def candidates(self):
        """{key: [CommentedLine]} of the top-level `# key:` lines whose key is
        absent from the document (a present key is set, not uncommented)."""
        present = self.doc.top_keys()
        by = {}
        for line in ys.commented_top_level(self.doc):
            if line.key not in present:
                by.setdefault(line.key, []).append(line)
        return by

    def check_uncomment(self):
        fails, n = [], 0
        for key, lines in self.candidates().items():
            templates = [ln for ln in lines if ln.template]
            if key not in self.names or not templates:
                continue
            n += 1
            line = templates[-1]
            value, type_arg, written, loaded = ys.uncomment_value(line)
            opts = ["-u"] + (["--type", type_arg] if type_arg else [])
            label = "%s (line %d)" % (key, line.index + 1)
            r = self.yp("set", *opts, self.path, "%s=%s" % (key, value))
            if r.rc != 0:
                fails.append("%s: %s" % (label, r.why()))
                continue
            expected = ys.expected_uncomment(self.doc, line, written)
            if r.out != expected:
                fails.append("%s: output differs from replacing %r: %s"
                             % (label, line.text, harness.first_diff(expected, r.out)))
                self.keep("uncomment", key, r.out)
                continue
            f = reparse_failure(label, r.out, self.base,
                                lambda d, k=key, v=loaded: with_value(d, [k], v))
            f = f or self.get_failure(label, r.out, key, value)
            if f:
                fails.append(f)
                continue
            again = self.yp("set", *opts, self.tmpfile(r.out), "%s=%s" % (key, value))
            if again.rc != 0 or again.out != r.out:
                fails.append("%s: second run is not a no-op (%s)" % (
                    label, again.why() if again.rc != 0 else harness.first_diff(r.out, again.out)))
        self.tap.check("%s: uncomment (-u) %d commented-out settings: template line replaced, "
                       "byte-exact, re-parse, get, second run no-op" % (self.name, n), fails, count=n)

    def check_prose(self):
        """A `# word:` line is only a template when `word` is a real setting
        of this version; every other such line must survive `set -u word=..`
        untouched, the key being added as a new line instead."""
        fails, judged, unjudged = [], [], []
        for key, lines in self.candidates().items():
            templates = [ln for ln in lines if ln.template]
            if key in self.names and templates:
                continue  # a real template: check_uncomment
            if key not in self.names and templates and self.unjudged_ok(key):
                unjudged.append(key)
                continue
            judged.append(key)
            r = self.yp("set", "-u", self.path, "%s=%s" % (key, ys.PLAIN_STRING))
            if r.rc != 0:
                fails.append("%s: %s" % (key, r.why()))
                continue
            old = self.doc.data.decode("utf-8").splitlines()
            new = r.out.decode("utf-8", "replace").splitlines()
            ops = [op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
                   if op[0] != "equal"]
            want = " " * self.doc.key_column() + "%s: %s" % (key, ys.PLAIN_STRING)
            if not (len(ops) == 1 and ops[0][0] == "insert" and new[ops[0][3]:ops[0][4]] == [want]):
                left = collections.Counter(new)
                taken = [ln.text for ln in lines if left[ln.text] < sum(1 for o in old if o == ln.text)]
                fails.append("%s: expected the one new line %r and no other change%s"
                             % (key, want, ("; took %r" % taken[0]) if taken else ""))
                self.keep("prose", key, r.out)
                continue
            f = reparse_failure(key, r.out, self.base,
                                lambda d, k=key: with_value(d, [k], ys.PLAIN_STRING))
            if f:
                fails.append(f)
        if unjudged:
            self.tap.comment("%s: not judged (no jar of this exact version; template-like lines "
                             "of names it lacks): %s" % (self.name, ", ".join(sorted(unjudged))))
        self.tap.check("%s: prose: %d `# word:` words that are no setting of this version "
                       "are never uncommented (%s)" % (self.name, len(judged),
                                                        ", ".join(sorted(judged)) or "none"),
                       fails, count=len(judged))

    def check_delete(self):
        fails, n = [], 0
        for key, knode, vnode in self.doc.top_level():
            if not isinstance(vnode, yaml.ScalarNode):
                continue
            n += 1
            r = self.yp("del", self.path, key)
            if r.rc != 0:
                fails.append("%s: %s" % (key, r.why()))
                continue
            expected = ys.expected_delete(self.doc, knode, vnode)
            if r.out != expected:
                fails.append("%s: output differs from removing its lines: %s"
                             % (key, harness.first_diff(expected, r.out)))
                self.keep("delete", key, r.out)
                continue
            f = reparse_failure(key, r.out, self.base, lambda d, k=key: without_key(d, k))
            if f:
                fails.append(f)
                continue
            again = self.yp("del", self.tmpfile(r.out), key)
            if again.rc != EXIT_NOT_FOUND:
                fails.append("%s: a second delete should report not found (exit %d), got %s"
                             % (key, EXIT_NOT_FOUND, again.why()))
        self.tap.check("%s: delete %d top-level scalar keys: their lines removed, byte-exact, "
                       "re-parse, second delete -> not found" % (self.name, n), fails, count=n)


def run_one(job):
    binary, conf_dir, rel, names, is_trunk, keep_dir = job
    # trunk's names come from a later release: a snake_case word missing from
    # them may be a trunk-only setting (trunk's password_validator became
    # password_policy), so such template-like lines are listed, not judged.
    unjudged_ok = (lambda k: bool(re.match(r"^[a-z][a-z0-9_]*$", k))) if is_trunk else (lambda k: False)
    t = FileTest(binary, os.path.join(conf_dir, rel), rel, names, unjudged_ok, keep_dir)
    try:
        return t.run()
    except Exception as e:  # a bug of the test itself must show as a failure
        where = traceback.extract_tb(e.__traceback__)[-1]
        return t.tap.lines + ["not ok - %s: the test crashed: %r at %s:%d"
                              % (t.name, e, os.path.basename(where.filename), where.lineno)]
    finally:
        shutil.rmtree(t.tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--yamlpatch", required=True)
    ap.add_argument("--conf-dir", required=True)
    ap.add_argument("--keep", help="directory for the outputs that failed")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", help="only files whose path contains this")
    a = ap.parse_args()

    if not os.access(a.yamlpatch, os.X_OK):
        print("not ok - corpus: %s is not built (make)" % a.yamlpatch)
        return 1
    corpus = find_corpus(a.conf_dir)
    if a.only:
        corpus = [r for r in corpus if a.only in r]
    if not corpus:
        print("not ok - corpus: no cassandra*.yaml under %s" % a.conf_dir)
        return 1
    if harness.RUAMEL_ERROR:
        print("# %s" % harness.RUAMEL_ERROR)
    try:
        names, notes = setting_names(a.conf_dir, corpus)
    except config_fields.FieldsError as e:
        print("not ok - corpus: the real setting names could not be read: %s" % e)
        return 1
    for v in sorted(names):
        print("# setting names of %s: %d%s" % (v, len(names[v]), ("; " + notes[v]) if notes[v] else ""))

    jobs = [(a.yamlpatch, a.conf_dir, rel, names[version_of(rel)], version_of(rel) == "trunk", a.keep)
            for rel in corpus]
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        for lines in ex.map(run_one, jobs):
            for line in lines:
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
