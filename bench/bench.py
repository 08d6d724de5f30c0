"""Driver of bench/yamlpatch.sh: yamlpatch against sed, yq and ruamel.yaml on
the same 5 edits of real cassandra.yaml files, in one run; writes the markdown
report.  Everything it runs is installed by yamlpatch.sh first.

For each tool: median wall time (hyperfine), peak RSS (/usr/bin/time), and how
many bytes of its output differ from the expected output OUTSIDE the edited
values.  The expected output is built the way the corpus test builds it
(tests/corpus/yamlspans.py: PyYAML marks + our own splice), not by yamlpatch.
"""
import argparse
import datetime
import difflib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "corpus"))
import yamlspans as ys  # noqa: E402

SEEDS = "10.0.0.1,10.0.0.2"
ADDR = "10.0.0.5"
RPC = "0.0.0.0"
CLUSTER = "Bench Cluster"

# The 5 edits, as yamlpatch paths.
EDITS = [
    ("seed_provider[0].parameters[0].seeds", SEEDS),
    ("listen_address", ADDR),
    ("rpc_address", RPC),
    ("broadcast_rpc_address", ADDR),  # commented out in the file: uncomment + set
    ("cluster_name", CLUSTER),
]

# The original start.sh's four line edits (entrypoint-facts.md describes them;
# the script itself is not in the repository, so these are rebuilt from that
# description: the `- seeds:.*` pattern, `# broadcast_rpc_address` uncommented),
# with this benchmark's values.
SED4 = [
    "s/^listen_address:.*/listen_address: %s/" % ADDR,
    's/- seeds:.*/- seeds: "%s"/' % SEEDS,
    "s/^rpc_address:.*/rpc_address: %s/" % RPC,
    "s/^# broadcast_rpc_address:.*/broadcast_rpc_address: %s/" % ADDR,
]
SED_CLUSTER = "s/^cluster_name:.*/cluster_name: '%s'/" % CLUSTER

YQ_EXPR = ('.seed_provider[0].parameters[0].seeds = "%s" | .listen_address = "%s" | '
           '.rpc_address = "%s" | .broadcast_rpc_address = "%s" | .cluster_name = "%s"'
           % (SEEDS, ADDR, RPC, ADDR, CLUSTER))


# ---- the expected output (corpus method) --------------------------------

def expected(data, four=False):
    """(expected bytes, [(start, end)] spans of the edited values in it)."""
    doc = ys.Doc(data)
    edits = []

    def value(path, text):
        node = doc.lookup(path)
        s, e = doc.span(node)
        q = node.style if node.style in ("'", '"') else ""
        edits.append((s, e, (q + text + q).encode()))

    value(ys.SEEDS_PATH, SEEDS)
    value(["listen_address"], ADDR)
    value(["rpc_address"], RPC)
    if not four:
        value(["cluster_name"], CLUSTER)
    lines = [ln for ln in ys.commented_top_level(doc)
             if ln.key == "broadcast_rpc_address" and ln.template]
    if not lines or "broadcast_rpc_address" in doc.top_keys():
        raise SystemExit("bench: no commented-out broadcast_rpc_address template line")
    ln = lines[-1]
    edits.append((ln.start, ln.content_end, ("broadcast_rpc_address: %s" % ADDR).encode()))
    out = ys.splice_many(data, edits)

    # The spans of the edited values, read back from the expected output.
    exp = ys.Doc(out)
    spans = []
    for path in (ys.SEEDS_PATH, ["listen_address"], ["rpc_address"]) + (() if four else (["cluster_name"],)):
        spans.append(exp.span(exp.lookup(path)))
    for key, knode, vnode in exp.top_level():
        if key == "broadcast_rpc_address":
            spans.append((exp.byte(knode.start_mark), exp.span(vnode)[1]))
    return out, sorted(spans)


def bytes_changed(exp, got, spans):
    """(outside, inside): bytes of `got` that differ from `exp` outside the
    edited spans, and inside them.  Line diff first, then a byte diff inside
    each changed block; a changed byte counts once (a replacement of n by m
    bytes counts max(n, m))."""
    def in_span(p):
        return any(s <= p < e for s, e in spans)

    def touches_span(a, b):
        return any(s <= b and a <= e for s, e in spans)

    el, gl = exp.splitlines(keepends=True), got.splitlines(keepends=True)
    eoff = [0]
    for line in el:
        eoff.append(eoff[-1] + len(line))
    goff = [0]
    for line in gl:
        goff.append(goff[-1] + len(line))
    outside = inside = 0
    sm = difflib.SequenceMatcher(None, el, gl, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        ea, eb = eoff[i1], eoff[i2]
        ga, gb = goff[j1], goff[j2]
        e_chunk, g_chunk = exp[ea:eb], got[ga:gb]
        inner = difflib.SequenceMatcher(None, e_chunk, g_chunk, autojunk=False)
        for t2, a1, a2, b1, b2 in inner.get_opcodes():
            if t2 == "equal":
                continue
            lo, hi = ea + a1, ea + a2
            removed = sum(0 if in_span(p) else 1 for p in range(lo, hi))
            inside += (hi - lo) - removed
            extra = max(0, (b2 - b1) - (a2 - a1))
            if extra:
                if touches_span(lo, hi):
                    inside += extra
                else:
                    outside += extra
            outside += removed
    return outside, inside


# ---- the contenders -------------------------------------------------------

class Tool:
    def __init__(self, name, cmds, in_place, four=False, floor=False, note=""):
        self.name, self.cmds, self.in_place = name, cmds, in_place
        self.four, self.floor, self.note = four, floor, note


def tools(a, src, work, out):
    yp_args = ["%s=%s" % e for e in EDITS]
    return [
        Tool("yamlpatch set -u (stdout)", [[a.yamlpatch, "set", "-u", src] + yp_args + [">", out]],
             False, note="one invocation, 5 edits, printed"),
        Tool("yamlpatch set -u -i", [[a.yamlpatch, "set", "-u", "-i", work] + yp_args], True,
             note="in place: temp file, fsync, rename, fsync dir"),
        Tool("sed -i x4 (start.sh)", [["sed", "-i", "-e", e, work] for e in SED4], True, four=True,
             note="start.sh's four commands; no cluster_name"),
        Tool("sed -i, one pass", [["sed", "-i"] + sum((["-e", e] for e in SED4 + [SED_CLUSTER]), [])
                                  + [work]], True, note="the 5 edits as one sed call"),
        Tool("yq -i (mikefarah %s)" % a.yq_version, [[a.yq, "-i", YQ_EXPR, work]], True,
             note="cannot uncomment: appends broadcast_rpc_address"),
        Tool("ruamel.yaml %s round-trip" % a.ruamel_version,
             [[a.python, os.path.join(ROOT, "bench", "ruamel_edit.py"), work]], True,
             note="python start-up included; cannot uncomment"),
        Tool("libyaml parse only (floor)", [[a.floor, src]], False, floor=True,
             note="one libyaml event parse, nothing else"),
    ]


def shell_line(cmds):
    parts = []
    for c in cmds:
        if len(c) >= 2 and c[-2] == ">":
            parts.append(" ".join(shlex.quote(x) for x in c[:-2]) + " > " + shlex.quote(c[-1]))
        else:
            parts.append(" ".join(shlex.quote(x) for x in c))
    return " && ".join(parts)


def run_once(tool, src, work):
    if tool.in_place:
        shutil.copyfile(src, work)
    for c in tool.cmds:
        if len(c) >= 2 and c[-2] == ">":
            with open(c[-1], "wb") as f:
                r = subprocess.run(c[:-2], stdout=f, stderr=subprocess.PIPE)
        else:
            r = subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode != 0:
            return "exit %d: %s" % (r.returncode, r.stderr.decode(errors="replace").strip()[:200])
    return None


def peak_rss_kib(tool, src, work, reps):
    """Largest maximum resident set size of any of the tool's processes
    over `reps` runs (GNU time, run directly: no shell counted)."""
    peak = 0
    tfile = work + ".time"
    for _ in range(reps):
        if tool.in_place:
            shutil.copyfile(src, work)
        for c in tool.cmds:
            redirect = len(c) >= 2 and c[-2] == ">"
            argv = ["/usr/bin/time", "-f", "%M", "-o", tfile] + (c[:-2] if redirect else c)
            with open(c[-1] if redirect else os.devnull, "wb") as f:
                subprocess.run(argv, stdout=f, stderr=subprocess.DEVNULL, check=True)
            with open(tfile) as f:
                peak = max(peak, int(f.read().split()[-1]))
    return peak


def callgrind_ir(tool, src, work):
    """Instructions executed by all of the tool's processes, counted by
    callgrind: unlike wall time, the same on a busy machine as on an idle
    one.  None when valgrind can't run the tool."""
    if not shutil.which("valgrind"):
        return None
    if tool.in_place:
        shutil.copyfile(src, work)
    total = 0
    for c in tool.cmds:
        redirect = len(c) >= 2 and c[-2] == ">"
        argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + (c[:-2] if redirect else c)
        with open(c[-1] if redirect else os.devnull, "wb") as f:
            r = subprocess.run(argv, stdout=f, stderr=subprocess.PIPE, timeout=600)
        m = re.search(rb"Collected : (\d+)", r.stderr)
        if r.returncode != 0 or not m:
            return None
        total += int(m.group(1))
    return total


def hyperfine(tool, src, work, jsonfile, runs):
    cmd = ["hyperfine", "--style", "none", "--warmup", "3", "--min-runs", str(runs),
           "--export-json", jsonfile]
    if tool.in_place:
        cmd += ["--prepare", "cp %s %s" % (shlex.quote(src), shlex.quote(work))]
    if len(tool.cmds) == 1:
        # One process: no shell at all (hyperfine can't time a few-ms
        # command through a shell precisely), output to a file if printed.
        c = tool.cmds[0]
        if len(c) >= 2 and c[-2] == ">":
            cmd += ["--output", c[-1]]
            c = c[:-2]
        cmd += ["-N", " ".join(shlex.quote(x) for x in c)]
    else:
        cmd.append(shell_line(tool.cmds))
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(jsonfile) as f:
        res = json.load(f)["results"][0]
    return (statistics.median(res["times"]), res["user"] + res["system"], len(res["times"]),
            min(res["times"]))


# ---- the report -------------------------------------------------------------

def fmt_ms(s):
    return "%.2f" % (s * 1000) if s < 0.1 else "%.1f" % (s * 1000)


def main():
    ap = argparse.ArgumentParser()
    for opt in ("yamlpatch", "yq", "yq-version", "python", "ruamel-version", "floor",
                "conf-dir", "workdir", "report"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--rss-reps", type=int, default=5)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)

    # The largest cassandra.yaml of the corpus, and the 5.0 one.
    found = []
    for v in sorted(os.listdir(a.conf_dir)):
        p = os.path.join(a.conf_dir, v, "conf", "cassandra.yaml")
        if os.path.exists(p):
            found.append((os.path.getsize(p), v, p))
    largest = max(found)
    five = [f for f in found if f[1].startswith("5.0")]
    targets = [(largest[1], largest[2])] + [(f[1], f[2]) for f in five[-1:] if f[2] != largest[2]]

    results = {}
    load_before = os.getloadavg()
    for version, src in targets:
        data = open(src, "rb").read()
        exp5, spans5 = expected(data)
        exp4, spans4 = expected(data, four=True)
        work = os.path.join(a.workdir, "%s-cassandra.yaml" % version)
        out = os.path.join(a.workdir, "%s-out.yaml" % version)
        rows = []
        for t in tools(a, src, work, out):
            print("bench: %s: %s" % (version, t.name), file=sys.stderr, flush=True)
            err = run_once(t, src, work)
            row = {"tool": t, "error": err}
            if err is None and not t.floor:
                got = open(out if not t.in_place else work, "rb").read()
                keep = os.path.join(a.workdir, "%s-%s.out.yaml" % (version, re.sub(r"\W+", "_", t.name)))
                with open(keep, "wb") as f:
                    f.write(got)
                exp, spans = (exp4, spans4) if t.four else (exp5, spans5)
                row["outside"], row["inside"] = bytes_changed(exp, got, spans)
                row["exact"] = got == exp
            if err is None:
                row["median"], row["cpu"], row["n"], row["min"] = hyperfine(
                    t, src, work, os.path.join(a.workdir, "hf.json"),
                    a.runs if "ruamel" not in t.name else max(10, a.runs // 3))
                row["rss"] = peak_rss_kib(t, src, work, a.rss_reps)
                row["ir"] = callgrind_ir(t, src, work)
            rows.append(row)
        results[version] = (src, len(data), rows)

    write_report(a, results, load_before, os.getloadavg())


def write_report(a, results, load_before, load_after):
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            cpu = m.group(1) if m else ""
    except OSError:
        pass
    hf = subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip()
    sed = subprocess.run(["sed", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    L = []
    L.append("# yamlpatch benchmark: 5 edits of a real cassandra.yaml")
    L.append("")
    L.append("Written by `bench/yamlpatch.sh` on %s (%s, %d cores, %s); %s, %s, libyaml %s."
             % (datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), cpu, os.cpu_count(),
                platform.platform(), hf, sed, libyaml_version()))
    L.append("")
    L.append("Load average (1 min) before the run %.2f, after %.2f%s." % (
        load_before[0], load_after[0],
        ": the machine was busy with other work, so times are inflated and noisy"
        if max(load_before[0], load_after[0]) > 1.0 else ""))
    L.append("")
    L.append("The edits: `seed_provider[0].parameters[0].seeds=%s`, `listen_address=%s`, "
             "`rpc_address=%s`, `broadcast_rpc_address=%s` (commented out in the file: uncomment + set), "
             "`cluster_name=%s`." % (SEEDS, ADDR, RPC, ADDR, CLUSTER))
    L.append("Time: median (and fastest) wall time of hyperfine runs; CPU ms is hyperfine's mean "
             "user+system time (one-process tools run without a shell "
             "(`-N`); the four-process sed x4 runs in one shell, whose start-up hyperfine subtracts; "
             "in-place tools get a fresh copy before each run, not timed). "
             "Peak RSS: the largest `Maximum resident set size` of any process of the tool "
             "(GNU time, %d runs). Bytes changed: bytes of the tool's output that differ from "
             "the expected output outside the edited values (expected output: the corpus test's "
             "method, PyYAML marks + splice, built without yamlpatch); in brackets, bytes that "
             "differ inside the edited values (e.g. quotes dropped). The sed x4 row is compared "
             "with the 4-edit expectation (start.sh never set cluster_name)." % a.rss_reps)
    L.append("")
    goals = {}
    for version, (src, size, rows) in results.items():
        by = {r["tool"].name: r for r in rows}
        ref = by["yamlpatch set -u -i"]
        ref_out = by["yamlpatch set -u (stdout)"]
        L.append("## %s/conf/cassandra.yaml (%s bytes)" % (version, format(size, ",")))
        L.append("")
        L.append("| tool | median ms | min ms | n | time / yamlpatch -i | time / yamlpatch stdout | CPU ms "
                 "| instructions (M) | instr. / yamlpatch stdout | peak RSS KiB "
                 "| bytes changed outside edits [inside] | note |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in rows:
            t = r["tool"]
            if r["error"]:
                L.append("| %s | failed: %s | | | | | | | | | | %s |" % (t.name, r["error"].replace("|", "/"), t.note))
                continue
            ratio = r["median"] / ref["median"] if ref.get("median") else float("nan")
            ratio2 = r["median"] / ref_out["median"] if ref_out.get("median") else float("nan")
            changed = "n/a" if t.floor else "%d [%d]%s" % (r["outside"], r["inside"],
                                                            " exact" if r["exact"] else "")
            ir, ref_ir = r.get("ir"), ref_out.get("ir")
            L.append("| %s | %s | %s | %d | %.2f | %.2f | %s | %s | %s | %d | %s | %s |" % (
                t.name, fmt_ms(r["median"]), fmt_ms(r["min"]), r["n"], ratio, ratio2, fmt_ms(r["cpu"]),
                "%.1f" % (ir / 1e6) if ir else "n/a",
                "%.2f" % (ir / ref_ir) if ir and ref_ir else "n/a",
                r["rss"], changed, t.note))
        L.append("")
        goals[version] = by
    L.append("## Goals")
    L.append("")
    L.append("Each cell: `yamlpatch set -u -i` (in place, with fsync of file and directory, which "
             "no other contender does) / the stdout form (output written to a file, no fsync), "
             "then the verdict for each.")
    L.append("")
    L.append("| goal | " + " | ".join(goals) + " |")
    L.append("|---|" + "---|" * len(goals))

    def row(label, f):
        cells = []
        for by in goals.values():
            try:
                cells.append(f(by))
            except (KeyError, TypeError, ZeroDivisionError):
                cells.append("not measured")
        L.append("| %s | %s |" % (label, " | ".join(cells)))

    def m(by, name):
        return by[name]["median"]

    yq = next(n for n in next(iter(goals.values())) if n.startswith("yq"))
    ru = next(n for n in next(iter(goals.values())) if n.startswith("ruamel"))
    IP, OUT = "yamlpatch set -u -i", "yamlpatch set -u (stdout)"

    def verdict(ok):
        return "**met**" if ok else "**not met**"

    def ir(by, a_, b_):
        x, y = by[a_].get("ir"), by[b_].get("ir")
        return "; instructions %.1fx" % (x / y) if x and y else ""

    SED1 = "sed -i, one pass"

    def goal(label, ratio_of, ok, ir_pair):
        """A cell: the ratio with `yamlpatch -i` / with the stdout form,
        the verdict of each, then the instruction ratio."""
        def cell(by):
            r1, r2 = ratio_of(by, IP), ratio_of(by, OUT)
            return "%.2fx / %.2fx %s / %s%s" % (r1, r2, verdict(ok(r1)), verdict(ok(r2)),
                                               ir(by, *ir_pair))
        row(label, cell)

    goal(">= 20x faster than yq", lambda by, yp: m(by, yq) / m(by, yp), lambda r: r >= 20, (yq, OUT))
    goal(">= 50x faster than ruamel.yaml", lambda by, yp: m(by, ru) / m(by, yp), lambda r: r >= 50,
         (ru, OUT))
    goal("within 2x of one sed pass", lambda by, yp: m(by, yp) / m(by, SED1), lambda r: r <= 2,
         (OUT, SED1))
    row("0 bytes changed outside edited values", lambda by: "%d / %d %s / %s" % (
        by[IP]["outside"], by[OUT]["outside"], verdict(by[IP]["outside"] == 0 and by[IP]["exact"]),
        verdict(by[OUT]["outside"] == 0 and by[OUT]["exact"])))
    row("peak RSS <= 4 MiB", lambda by: "%d KiB / %d KiB %s / %s" % (
        by[IP]["rss"], by[OUT]["rss"], verdict(by[IP]["rss"] <= 4096), verdict(by[OUT]["rss"] <= 4096)))
    FLOOR = "libyaml parse only (floor)"
    row("above the floor (one libyaml parse)", lambda by: "%.1fx / %.1fx%s" % (
        m(by, IP) / m(by, FLOOR), m(by, OUT) / m(by, FLOOR), ir(by, OUT, FLOOR)))
    row("(bound) yq / floor: the best ratio to yq of a tool that parses once", lambda by: "%.1fx%s" % (
        m(by, yq) / m(by, FLOOR), "; instructions n/a" if not by[yq].get("ir") else ir(by, yq, FLOOR)))
    row("(bound) ruamel.yaml / floor", lambda by: "%.1fx%s" % (m(by, ru) / m(by, FLOOR), ir(by, ru, FLOOR)))
    L.append("")
    L.append("Wall-time verdicts follow the goals as written. 'instructions' (callgrind, all "
             "processes of the tool) is the load-independent view of the same ratio: it does not "
             "count system-call, page-fault or I/O time, nor the Go runtime's parallel threads "
             "fairly, so it is a guide, not the verdict.")
    L.append("")
    L.append("Outputs of every tool are kept in bench/work/ for a look (git-ignored).")
    with open(a.report, "w") as f:
        f.write("\n".join(L) + "\n")
    print("\n".join(L))


def libyaml_version():
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libyaml-0-2"],
                       capture_output=True, text=True)
    return r.stdout.strip() or "?"


if __name__ == "__main__":
    main()
