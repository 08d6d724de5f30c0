"""Running yamlpatch and the two independent YAML resolvers, for the corpus
and quoting tests.

YAML 1.1 is PyYAML's resolver (the one SnakeYAML, and so Cassandra, follows:
yes/no/on/off are booleans, 0777 is octal, 1_000 an int).  YAML 1.2 is
ruamel.yaml in safe, pure-Python mode (its own scanner, not libyaml's).
ruamel.yaml is not a Debian package of the pinned version: tests/suites/
corpus.sh installs it into a venv it owns; when it is missing every check that
needs it fails and says so (a check never turns into a pass without it).
"""
import subprocess

import yaml

try:
    from ruamel.yaml import YAML as _RuamelYAML
    _RUAMEL = _RuamelYAML(typ="safe", pure=True)
    RUAMEL_ERROR = None
except ImportError as _e:  # reported by the checks that need it
    _RUAMEL = None
    RUAMEL_ERROR = "ruamel.yaml is not importable (%s): run tests/suites/corpus.sh" % _e

_Loader11 = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LoadError(Exception):
    pass


def load11(data):
    try:
        return yaml.load(data, Loader=_Loader11)
    except yaml.YAMLError as e:
        raise LoadError("YAML 1.1 (PyYAML): %s" % str(e).replace("\n", " ")) from e


def load12(data):
    if _RUAMEL is None:
        raise LoadError(RUAMEL_ERROR)
    try:
        return _RUAMEL.load(data)
    except Exception as e:  # ruamel raises many kinds
        raise LoadError("YAML 1.2 (ruamel.yaml): %s" % str(e).replace("\n", " ")) from e


def load_both(data):
    return load11(data), load12(data)


class Run:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def why(self):
        msg = self.err.decode("utf-8", "replace").strip().splitlines()
        return "exit %s%s" % (self.rc, (": " + msg[0][:200]) if msg else "")


def yamlpatch(binary, args, stdin=None, timeout=20):
    try:
        r = subprocess.run([binary] + list(args), input=stdin, capture_output=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return Run("timeout", b"", b"did not finish in %ds" % timeout)
    except OSError as e:  # e.g. the binary being relinked right now
        return Run("exec failed", b"", str(e).encode())
    rc = r.returncode if r.returncode >= 0 else "signal %d" % -r.returncode
    return Run(rc, r.stdout, r.stderr)


def first_diff(expected, got, context=1):
    """A short human description of where two byte strings first differ."""
    if expected == got:
        return "identical"
    el, gl = expected.split(b"\n"), got.split(b"\n")
    for i in range(max(len(el), len(gl))):
        e = el[i] if i < len(el) else None
        g = gl[i] if i < len(gl) else None
        if e != g:
            return "line %d: expected %r, got %r (sizes %d vs %d)" % (
                i + 1, e, g, len(expected), len(got))
    return "sizes %d vs %d" % (len(expected), len(got))


class Tap:
    """Collects one TAP line per check, with its failure details."""

    def __init__(self):
        self.lines = []

    def check(self, what, failures, note="", max_details=12, count=None):
        """One TAP line; with count == 0 nothing was checked, so no TAP line
        (a test that asserts nothing is not a pass), only a comment."""
        if count == 0 and not failures:
            self.lines.append("# %s: nothing to check" % what)
            return
        if failures:
            self.lines.append("not ok - %s" % what)
            for f in failures[:max_details]:
                self.lines.append("#   %s" % f)
            if len(failures) > max_details:
                self.lines.append("#   ... and %d more" % (len(failures) - max_details))
        else:
            self.lines.append("ok - %s%s" % (what, (" (%s)" % note) if note else ""))

    def comment(self, text):
        self.lines.append("# %s" % text)
