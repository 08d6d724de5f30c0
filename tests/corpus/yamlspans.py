"""What the corpus tests and the benchmark expect of an edit, built WITHOUT
yamlpatch: node positions come from PyYAML's own parser (its pure-Python
composer, not the libyaml binding, so not even the parser is shared with the
code under test), and every expected output is a splice of the original bytes
made here.

Also holds the test's own implementation of the set-or-uncomment rule:
a template line is `#`, optional spaces, `key:` at the key column of the
parent mapping's entries (+-2), whose value is not prose; the last such line
in the parent's range is the one replaced.
"""
import re

import yaml

# A plain-safe string: a string under YAML 1.1 and 1.2 alike, no indicator
# characters, so every editor must write it as is.
PLAIN_STRING = "corpus-value-1"


class Doc:
    """One YAML file: its bytes, PyYAML's node tree, and byte positions."""

    def __init__(self, data, name="<doc>"):
        self.name = name
        self.data = data
        self.text = data.decode("utf-8")
        if self.text.startswith("\ufeff"):
            raise ValueError("%s: BOM not handled by the corpus helper" % name)
        # PyYAML marks count characters; the splice works on bytes.
        if len(self.text) == len(data):
            self._byte = None
        else:
            offs, b = [], 0
            for ch in self.text:
                offs.append(b)
                b += len(ch.encode("utf-8"))
            offs.append(b)
            self._byte = offs
        self.root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        self.eol = b"\r\n" if b"\r\n" in data else b"\n"
        self._lines = None

    def byte(self, mark):
        return mark.index if self._byte is None else self._byte[mark.index]

    def span(self, node):
        return self.byte(node.start_mark), self.byte(node.end_mark)

    def top_level(self):
        """[(key, key_node, value_node)] of the root mapping."""
        if not isinstance(self.root, yaml.MappingNode):
            return []
        return [(k.value, k, v) for k, v in self.root.value]

    def top_keys(self):
        return {k for k, _, _ in self.top_level()}

    def key_column(self):
        cols = [k.start_mark.column for _, k, _ in self.top_level()]
        return min(cols) if cols else 0

    def lookup(self, path):
        """Node at a path given as a list of keys (str) and indexes (int)."""
        node = self.root
        for step in path:
            if isinstance(step, int):
                if not isinstance(node, yaml.SequenceNode) or step >= len(node.value):
                    return None
                node = node.value[step]
            else:
                if not isinstance(node, yaml.MappingNode):
                    return None
                found = [v for k, v in node.value if k.value == step]
                if not found:
                    return None
                node = found[-1]
        return node

    def lines(self):
        """[(start, end_of_content, end_with_eol)] byte offsets of every line."""
        if self._lines is None:
            out, pos = [], 0
            for m in re.finditer(rb"\r\n|\n", self.data):
                out.append((pos, m.start(), m.end()))
                pos = m.end()
            if pos < len(self.data):
                out.append((pos, len(self.data), len(self.data)))
            self._lines = out
        return self._lines

    def line_of(self, offset):
        """Index of the line holding byte `offset`."""
        lo, hi = 0, len(self.lines()) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.lines()[mid][0] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo


def splice(data, start, end, new):
    return data[:start] + new + data[end:]


def splice_many(data, edits):
    """Apply [(start, end, bytes)] edits that do not overlap."""
    out = data
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        out = splice(out, start, end, new)
    return out


# ---- values -------------------------------------------------------------

_RESOLVER = yaml.resolver.Resolver()
_DECIMAL = re.compile(r"^-?[1-9][0-9]*$|^0$")


def resolved_tag(text):
    """PyYAML's (YAML 1.1) tag for a plain scalar's text."""
    return _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)).split(":")[-1]


class Edit:
    """One set: the path, the CLI arguments, the bytes expected in place of
    the old value, and the value both resolvers must load back."""

    def __init__(self, path, value, written, loaded, type_arg=None, start=None, end=None):
        self.path = path          # list of keys/indexes
        self.value = value        # the text handed to yamlpatch
        self.written = written    # bytes expected in the file
        self.loaded = loaded      # python value expected from a loader
        self.type_arg = type_arg  # None (auto) or a --type
        self.start, self.end = start, end

    def cli_path(self):
        out = ""
        for step in self.path:
            out += "[%d]" % step if isinstance(step, int) else ("." if out else "") + step
        return out

    def cli_arg(self):
        return "%s=%s" % (self.cli_path(), self.value)


def edit_for_scalar(doc, path, node):
    """A new value for an existing scalar whose written form is known without
    asking yamlpatch: an int for an int, the other bool for a bool, a float for
    a float, a plain-safe string for a plain string or a null, a value inside
    the same quotes for a quoted one.  None when the scalar is of a kind this
    helper does not cover (block scalars, tags)."""
    start, end = doc.span(node)
    raw = doc.data[start:end].decode("utf-8")
    if node.style in ("'", '"'):
        value = "corpus value 1"  # no quote, backslash or escape inside
        return Edit(path, value, (node.style + value + node.style).encode(), value,
                    start=start, end=end)
    if node.style is not None or raw.startswith(("!", "&")):
        return None
    tag = node.tag.split(":")[-1]
    if tag == "int" and _DECIMAL.match(raw):
        value = str(int(raw) + 1)
        return Edit(path, value, value.encode(), int(value), start=start, end=end)
    if tag == "bool" and raw in ("true", "false"):
        value = "false" if raw == "true" else "true"
        return Edit(path, value, value.encode(), value == "true", start=start, end=end)
    if tag == "float" and re.match(r"^[0-9]+\.[0-9]+$", raw):
        value = "0.25" if raw != "0.25" else "0.5"
        return Edit(path, value, value.encode(), float(value), start=start, end=end)
    if tag == "null" and start == end:
        # `key:` with nothing after it: the value goes after one space.
        return Edit(path, PLAIN_STRING, b" " + PLAIN_STRING.encode(), PLAIN_STRING,
                    start=start, end=end)
    if tag in ("str", "null"):
        return Edit(path, PLAIN_STRING, PLAIN_STRING.encode(), PLAIN_STRING,
                    start=start, end=end)
    return None


SEEDS_PATH = ["seed_provider", 0, "parameters", 0, "seeds"]


def set_edits(doc):
    """(edits, skipped) for every top-level scalar and the seeds."""
    edits, skipped = [], []
    for key, _, node in doc.top_level():
        if not isinstance(node, yaml.ScalarNode):
            continue
        e = edit_for_scalar(doc, [key], node)
        (edits.append(e) if e else skipped.append(key))
    seeds = doc.lookup(SEEDS_PATH)
    if isinstance(seeds, yaml.ScalarNode):
        e = edit_for_scalar(doc, SEEDS_PATH, seeds)
        if e and seeds.style in ("'", '"'):
            e.value = "10.0.0.1,10.0.0.2:7000"
            e.written = (seeds.style + e.value + seeds.style).encode()
            e.loaded = e.value
        (edits.append(e) if e else skipped.append("seeds"))
    return edits, skipped


def expected_set(doc, edits):
    return splice_many(doc.data, [(e.start, e.end, e.written) for e in edits])


def expected_delete(doc, key_node, value_node):
    """The bytes without the entry's whole lines: from the start of the key's
    line to the end of the line where its value ends (with its line break).
    A file without a final newline whose last line goes keeps having none:
    the line break before it goes instead."""
    lines = doc.lines()
    first = doc.line_of(doc.byte(key_node.start_mark))
    vstart, vend = doc.span(value_node)
    last = doc.line_of(max(vend - 1, vstart))
    start, end = lines[first][0], lines[last][2]
    if end == len(doc.data) and lines[last][1] == end and first > 0:
        start = lines[first - 1][1]
    return doc.data[:start] + doc.data[end:]


# ---- set-or-uncomment ---------------------------------------------------

# `#`, optional spaces, a word, `:`, then a space or the end of the line.
_COMMENTED = re.compile(r"^([ ]*)#([ ]*)([A-Za-z_][A-Za-z0-9_.-]*):(?:[ \t]+(.*?))?[ \t]*$")


def strip_trailing_comment(value):
    """The value of a template line without its own ` # comment`."""
    if value[:1] in ("'", '"'):
        return value
    m = re.search(r"\s#", value)
    return value[:m.start()].rstrip() if m else value


def looks_like_template(value):
    """True when the text after `key:` reads as a value, not a sentence: empty,
    one token (no blank outside quotes or brackets), or a quoted scalar or
    flow collection that parses as YAML."""
    v = strip_trailing_comment(value or "").strip()
    if v == "":
        return True
    if v[0] in "'\"[{":
        try:
            yaml.safe_load(v)
            return True
        except yaml.YAMLError:
            return False
    return not re.search(r"\s", v)


class CommentedLine:
    def __init__(self, doc, index, key, value, column):
        self.index = index
        self.start, self.content_end, self.end = doc.lines()[index]
        self.key = key
        self.value = value or ""
        self.column = column
        self.template = looks_like_template(self.value)
        self.text = doc.data[self.start:self.content_end].decode("utf-8")


def commented_top_level(doc):
    """Every `# word:` line whose word sits at the root mapping's key column
    (+-2), outside any multi-line scalar: the candidates of set-or-uncomment
    for top-level keys (the root's range is the whole document)."""
    col = doc.key_column()
    inside = []
    stack = [doc.root] if doc.root is not None else []
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.ScalarNode):
            s, e = doc.span(n)
            if n.start_mark.line != n.end_mark.line:
                inside.append((s, e))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.extend((k, v))
    out = []
    for i, (start, cend, _) in enumerate(doc.lines()):
        m = _COMMENTED.match(doc.data[start:cend].decode("utf-8"))
        if not m:
            continue
        key_col = len(m.group(1)) + 1 + len(m.group(2))
        if abs(key_col - col) > 2:
            continue
        if any(s <= start < e for s, e in inside):
            continue
        out.append(CommentedLine(doc, i, m.group(3), m.group(4), key_col))
    return out


def uncomment_value(line):
    """(value, --type, written text, loaded value) for a template line: an
    int for an int example, the other bool for a bool, otherwise a plain-safe
    string (written plain whatever the rule for strings)."""
    v = strip_trailing_comment(line.value).strip()
    if _DECIMAL.match(v) and resolved_tag(v) == "int":
        value = str(int(v) + 1)
        return value, "int", value, int(value)
    if v in ("true", "false"):
        value = "false" if v == "true" else "true"
        return value, "bool", value, value == "true"
    return PLAIN_STRING, None, PLAIN_STRING, PLAIN_STRING


def expected_uncomment(doc, line, written):
    """The template line replaced, whole, by `key: value` at the root's key
    column; its line break (or the lack of one) stays."""
    new = (" " * doc.key_column() + "%s: %s" % (line.key, written)).encode()
    return splice(doc.data, line.start, line.content_end, new)
