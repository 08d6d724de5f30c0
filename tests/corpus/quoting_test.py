#!/usr/bin/python3
"""Quoting test of yamlpatch: tricky strings set with --type string must load
back as exactly that string under YAML 1.1 (PyYAML, the resolver SnakeYAML and
so Cassandra follow) and YAML 1.2 (ruamel.yaml, safe and pure).

Nothing here says how a value should be quoted: the two real resolvers are the
only judges.  Each value is set in every kind of place a value can be (plain,
double- and single-quoted, flow mapping, flow sequence, after a trailing
comment), in an LF and a CRLF file; for each, the bytes before and after the
value's span must stay as they were, `get` must return the value and the same
set again must change nothing.

--type auto replacing an int or a bool: a plain decimal int and true/false
must stay plain and load as that int/bool under both; for the ambiguous
texts (yes, 0777, 0x1F, 1e3 ...) both resolvers must at least read the result
as the same type, and as the string itself when it is a string.
"""
import argparse
import copy
import os
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import yamlspans as ys  # noqa: E402

TRICKY = [
    # YAML 1.1 booleans and nulls (SnakeYAML reads them so), 1.2 ones
    "yes", "no", "on", "off", "y", "n", "Y", "N", "Yes", "NO", "On", "OFF",
    "true", "false", "True", "FALSE", "~", "null", "Null", "NULL",
    # numbers of one schema or the other
    "0", "00", "0777", "0o17", "0x1F", "0b101", "1_000", "1e3", "1.0e+3", "+1", "-1",
    ".5", "1.", ".inf", "-.inf", ".NaN", ".nan", "12:30", "190:20:30", "1,000",
    "2024-01-01", "2001-12-14t21:59:43.10-05:00",
    # indicators and structure
    "a: b", "a:", ":a", ":", "- x", "-", "--", "---", "...", "#x", "x #y", "x#y", "#",
    "@x", "`x", "%x", "!x", "!!str x", "&x", "*x", "{x", "[x", "}", "]", ",", "x,y",
    "[a]", "{a: b}", "|", ">", "|-", ">+", "?", "? x", "&", "*", "!", "%", "@", "`",
    "<<", "=", "a=b", "'q'", '"q"', "a'b", 'a"b', "\\", "C:\\dir\\", "x: ",
    # blanks and line breaks
    "", " ", " lead", "trail ", "\t", "tab\there", "two  spaces",
    "line1\nline2", "line1\n\nline3\n", "ends with newline\n", "\nstarts with newline",
    "a \nb", "cr\rlf", "  indented\nlines",
    # non-ASCII and control characters
    "über", "日本語", "emoji \U0001F600", "nbsp\u00a0x", "\u00a0", "bell\x07", "del\x7f",
    "bom\ufeffinside",
    # ordinary strings that must simply work
    "plain", "127.0.0.1:7000", "10.0.0.1,10.0.0.2", "/var/lib/cassandra", "Test Cluster",
    "x" * 300,
]

AUTO_INTS = ["32", "0", "-5", "1000000", "65536"]
AUTO_BOOLS = ["true", "false", "True", "FALSE"]
AUTO_AMBIGUOUS = ["yes", "no", "on", "off", "y", "0777", "0o17", "0x1F", "1_000", "1e3",
                  "12:30", "~", "null", "+1", ".inf", "2024-01-01", "0b101", "1.5"]

TEMPLATE = """\
# quoting test: each value below is replaced, one at a time
plain: placeholder
double: "placeholder"
single: 'placeholder'
flow: {inner: placeholder, other: 1}
list: [placeholder, x]
nested:
  key: placeholder   # a trailing comment
int_value: 16
bool_value: true
after: end
"""

STRING_TARGETS = ["plain", "double", "single", "flow.inner", "list[0]", "nested.key"]


def parse_path(p):
    out = []
    for part in p.split("."):
        if part.endswith("]"):
            name, idx = part[:-1].split("[")
            out += [name, int(idx)]
        else:
            out.append(part)
    return out


class Case:
    def __init__(self, bin_, tmp, data, variant):
        self.bin, self.tmp, self.data, self.variant = bin_, tmp, data, variant
        self.doc = ys.Doc(data, variant)
        self.d11, self.d12 = harness.load_both(data)
        self.path = self._write(data, "in.yaml")

    def _write(self, data, name):
        p = os.path.join(self.tmp, "%s-%s" % (self.variant, name))
        with open(p, "wb") as f:
            f.write(data)
        return p

    def set(self, target, value, type_arg):
        """Run the set; returns (output, failure or None)."""
        args = ["set"] + (["--type", type_arg] if type_arg else []) + [self.path, "%s=%s" % (target, value)]
        r = harness.yamlpatch(self.bin, args)
        if r.rc != 0:
            return None, r.why()
        out = r.out
        # Everything outside the value's span stays as it was.
        start, end = self.doc.span(self.doc.lookup(parse_path(target)))
        if not (out.startswith(self.data[:start]) and out.endswith(self.data[end:])
                and len(out) >= len(self.data) - (end - start)):
            return out, "bytes outside the value changed: %s" % harness.first_diff(self.data, out)
        if self.variant == "crlf" and out.count(b"\n") != out.count(b"\r\n"):
            return out, "a bare LF in a CRLF file"
        again = harness.yamlpatch(self.bin, args[:-2] + [self._write(out, "out.yaml"), args[-1]])
        if again.rc != 0 or again.out != out:
            return out, "the same set on its own output is not a no-op (%s)" % (
                again.why() if again.rc != 0 else harness.first_diff(out, again.out))
        return out, None

    def get(self, out, target):
        r = harness.yamlpatch(self.bin, ["get", self._write(out, "get.yaml"), target])
        if r.rc != 0:
            return None, r.why()
        return r.out, None

    def expect(self, d, target, value):
        node = d
        steps = parse_path(target)
        for s in steps[:-1]:
            node = node[s]
        node[steps[-1]] = value
        return d

    def loaded(self, out, target):
        d11, d12 = harness.load_both(out)
        steps = parse_path(target)
        v11, v12 = d11, d12
        for s in steps:
            v11, v12 = v11[s], v12[s]
        return d11, d12, v11, v12

    def style(self, out, target):
        node = ys.Doc(out, "out").lookup(parse_path(target))
        return node.style


def check_strings(case, target):
    fails = []
    for value in TRICKY:
        out, why = case.set(target, value, "string")
        if why:
            fails.append("%r: %s" % (value, why))
            continue
        # What was written in place of the old value (the rest is checked
        # to be unchanged by case.set).
        start, end = case.doc.span(case.doc.lookup(parse_path(target)))
        shown = out[start:len(out) - (len(case.data) - end)][:80]
        try:
            d11, d12, v11, v12 = case.loaded(out, target)
        except (harness.LoadError, KeyError, IndexError, TypeError) as e:
            fails.append("%r written as %r: %s" % (value, shown, e))
            continue
        if v11 != value or not isinstance(v11, str):
            fails.append("%r written as %r loads under YAML 1.1 as %r" % (value, shown, v11))
            continue
        if v12 != value or not isinstance(v12, str):
            fails.append("%r written as %r loads under YAML 1.2 as %r" % (value, shown, v12))
            continue
        if d11 != case.expect(copy.deepcopy(case.d11), target, value) or \
           d12 != case.expect(copy.deepcopy(case.d12), target, value):
            fails.append("%r written as %r: another value of the document changed" % (value, shown))
            continue
        got, why = case.get(out, target)
        if why:
            fails.append("%r: get %s" % (value, why))
        elif got not in (value.encode(), value.encode() + b"\n"):
            fails.append("%r: get printed %r" % (value, got))
    return fails


def check_auto(case, target, values, kind):
    """kind 'int'/'bool': must stay plain and load as that; 'ambiguous': the
    resolvers must agree on the type, and on the text when it is a string."""
    fails = []
    for value in values:
        out, why = case.set(target, value, None)
        if why:
            fails.append("%r: %s" % (value, why))
            continue
        try:
            _, _, v11, v12 = case.loaded(out, target)
            style = case.style(out, target)
        except (harness.LoadError, yaml.YAMLError, KeyError) as e:
            fails.append("%r: %s" % (value, e))
            continue
        if kind in ("int", "bool"):
            want = int(value) if kind == "int" else value.lower() == "true"
            if style is not None:
                fails.append("%r replacing a%s %s was quoted (style %s)"
                             % (value, "n" if kind == "int" else "", kind, style))
            elif type(v11) is not type(want) or v11 != want or type(v12) is not type(want) or v12 != want:
                fails.append("%r loads as %r (1.1) / %r (1.2), expected %r" % (value, v11, v12, want))
        else:
            if type(v11) is not type(v12):
                fails.append("%r written %s: YAML 1.1 reads %r (%s), YAML 1.2 reads %r (%s)"
                             % (value, "plain" if style is None else "quoted", v11,
                                type(v11).__name__, v12, type(v12).__name__))
            elif isinstance(v11, str) and (v11 != value or v12 != value):
                fails.append("%r loads as the string %r / %r" % (value, v11, v12))
    return fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--yamlpatch", required=True)
    a = ap.parse_args()
    tap = harness.Tap()
    if not os.access(a.yamlpatch, os.X_OK):
        print("not ok - quoting: %s is not built (make)" % a.yamlpatch)
        return 1
    if harness.RUAMEL_ERROR:
        print("not ok - quoting: %s" % harness.RUAMEL_ERROR)
        return 1
    tmpdir = tempfile.TemporaryDirectory(prefix="quoting-")
    tmp = tmpdir.name
    variants = {"lf": TEMPLATE.encode(), "crlf": TEMPLATE.replace("\n", "\r\n").encode()}
    for variant, data in variants.items():
        case = Case(a.yamlpatch, tmp, data, variant)
        for target in STRING_TARGETS:
            tap.check("quoting %s: %d tricky strings set --type string at %s load back exactly "
                      "under YAML 1.1 and 1.2, nothing else changed, get, second run no-op"
                      % (variant, len(TRICKY), target), check_strings(case, target))
        tap.check("quoting %s: --type auto ints replacing an int stay plain ints (%s)"
                  % (variant, ", ".join(AUTO_INTS)), check_auto(case, "int_value", AUTO_INTS, "int"))
        tap.check("quoting %s: --type auto bools replacing a bool stay plain bools (%s)"
                  % (variant, ", ".join(AUTO_BOOLS)), check_auto(case, "bool_value", AUTO_BOOLS, "bool"))
        for target in ("int_value", "bool_value"):
            tap.check("quoting %s: --type auto ambiguous texts replacing %s read alike under "
                      "YAML 1.1 and 1.2" % (variant, target),
                      check_auto(case, target, AUTO_AMBIGUOUS, "ambiguous"))
    tmpdir.cleanup()
    print("\n".join(tap.lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
