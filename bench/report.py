#!/usr/bin/env python3
"""Benchmark results: merge hyperfine exports, measure peak RSS, print markdown.

    report.py [RESULTS_DIR]                       print the markdown report
    report.py --merge OUT SUITE CMDS_TSV PART...  (used by run.sh)
    report.py --memory OUT CMDS_TSV RUNS          (used by run.sh)

RESULTS_DIR defaults to $BENCH_DIR/results (BENCH_DIR: /tmp/shipshape-bench).
Standard library only.
"""

import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile

SUITES = ["manifests", "workflows", "scale", "hook", "big"]

NOTES = {
    "manifests": (
        "shipshape, the parse floor and yamllint read the whole `manifests/` set "
        "(yamllint reads only `*.yaml`/`*.yml`, not the JSON files); Checkov's "
        "kubernetes framework is run on one repository folder only and is compared "
        "with shipshape on that same folder."
    ),
    "workflows": (
        "All tools run in `workflows/`, a git repository holding the 936 workflows in "
        "`.github/workflows/`. actionlint runs without shellcheck/pyflakes, zizmor offline."
    ),
    "scale": "N hardlinked copies of the whole corpus; files/s counts YAML/JSON files.",
    "hook": (
        "A 20-file repository (2 workflows, 18 manifests): start-up cost. "
        "actionlint and zizmor read only the 2 workflows."
    ),
    "big": "One ~5 MB file of Deployment/Service documents separated by `---`.",
}


# ---------------------------------------------------------------- helpers
def split_name(name):
    tool, sep, rest = name.partition(" @ ")
    if not sep:
        return name, ""
    return tool, rest


def input_of(name):
    """'shipshape @ corpus-x4 --threads 2' -> 'corpus-x4'."""
    return split_name(name)[1].split(" ")[0]


def meta_key(inp):
    return {"big.yaml": "big/big.yaml"}.get(inp, inp)


def fmt_time(s):
    if s is None:
        return "n/a"
    if s < 1:
        return "%.1f ms" % (s * 1000) if s < 0.1 else "%.0f ms" % (s * 1000)
    return "%.2f s" % s if s < 10 else "%.1f s" % s


def fmt_num(x):
    if x >= 100:
        return "{:,.0f}".format(x)
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def fmt_ratio(x):
    if x >= 100:
        return "{:,.0f}".format(x)
    if x >= 10:
        return "%.1f" % x
    if x >= 0.1:
        return "%.2f" % x
    return "%.2g" % x


def short_cmd(cmd):
    """Absolute paths -> base names, for readable command lines."""
    def base(m):
        b = os.path.basename(m.group(0))
        return "actionlint" if b == "actionlint-bin" else b
    return re.sub(r"/[^\s']*/[^\s'/]+", base, cmd)


def load(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None


# ---------------------------------------------------------------- --merge
def merge(out, suite, cmds_tsv, parts):
    templates = []
    with open(cmds_tsv, encoding="utf-8") as fh:
        for line in fh:
            name, cwd, cmd = line.rstrip("\n").split("\t", 2)
            templates.append((name, cwd, cmd))
    results = []
    for part in parts:
        data = load(part)
        if data is None:
            print("warning: %s missing (hyperfine failed?)" % part, file=sys.stderr)
            continue
        for r in data["results"]:
            params = r.get("parameters") or {}

            def subst(s):
                for k, v in params.items():
                    s = s.replace("{%s}" % k, str(v))
                return s

            for name, cwd, cmd in templates:
                if subst(name) == r["command"]:
                    r["command_line"] = subst(cmd)
                    r["cwd"] = cwd
                    break
            results.append(r)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"suite": suite, "results": results}, fh, indent=2)


# ---------------------------------------------------------------- --memory
def max_rss_kb(time_v_output):
    m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", time_v_output)
    return int(m.group(1)) if m else None


def elapsed_s(time_v_output):
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\):\s*([\d:.]+)", time_v_output)
    if not m:
        return None
    secs = 0.0
    for part in m.group(1).split(":"):
        secs = secs * 60 + float(part)
    return secs


def memory(out, cmds_tsv, runs):
    rows = []
    with open(cmds_tsv, encoding="utf-8") as fh:
        entries = [line.rstrip("\n").split("\t", 2) for line in fh if line.strip()]
    for name, cwd, cmd in entries:
        rss, wall, codes = [], [], []
        for i in range(runs + 1):  # run 0 warms the page cache and is not kept
            with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
                p = subprocess.run(
                    ["/usr/bin/time", "-v", "-o", tf.name] + shlex.split(cmd),
                    cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
                text = tf.read()
            if i == 0:
                continue
            rss.append(max_rss_kb(text))
            wall.append(elapsed_s(text))
            codes.append(p.returncode)
        good = [x for x in rss if x is not None]
        row = {
            "command": name,
            "command_line": cmd,
            "cwd": cwd,
            "max_rss_kb": statistics.median(good) if good else None,
            "max_rss_kb_runs": rss,
            "wall_s_runs": wall,
            "exit_codes": codes,
        }
        print("  %-45s %8s KB" % (name, row["max_rss_kb"]), file=sys.stderr)
        rows.append(row)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"suite": "memory", "runs": runs, "results": rows}, fh, indent=2)


# ---------------------------------------------------------------- report
def cpu(r):
    return (r.get("user") or 0.0) + (r.get("system") or 0.0)


def exit_note(r):
    codes = sorted(set(r.get("exit_codes") or []))
    return ",".join(str(c) for c in codes)


def throughput(r, meta):
    inp = meta_key(input_of(r["command"]))
    files = (meta.get("files") or {}).get(inp)
    nbytes = (meta.get("bytes") or {}).get(inp)
    med = r.get("median")
    if not med:
        return "n/a"
    if files and files > 1:
        return "%s files/s" % fmt_num(files / med)
    if nbytes:
        return "%s MB/s" % fmt_num(nbytes / 1e6 / med)
    return "n/a"


def suite_table(results, meta, all_results=None):
    """Rows for `results`; every command is compared with the first shipshape
    command (in `all_results`) on the same input, flags included."""
    out = []
    refs = {}
    for r in all_results or results:
        tool, inp = split_name(r["command"])
        if tool == "shipshape" and inp not in refs:
            refs[inp] = r
    out.append("| command | median wall | user+sys CPU | throughput | shipshape / this | exit codes |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for r in results:
        tool, inp = split_name(r["command"])
        ref = refs.get(inp)
        if ref is None or ref is r or tool == "shipshape":
            ratio = "—"
        else:
            x = ref["median"] / r["median"] if r["median"] else float("nan")
            ratio = "%s (shipshape %s× faster)" % (fmt_ratio(x), fmt_ratio(1 / x)) if x < 1 else \
                "%s (shipshape %s× slower)" % (fmt_ratio(x), fmt_ratio(x))
        out.append("| `%s` | %s | %s | %s | %s | %s |" % (
            r["command"], fmt_time(r["median"]), fmt_time(cpu(r)),
            throughput(r, meta), ratio, exit_note(r)))
    return out


def scale_table(data, meta):
    out = []
    rows = [r for r in data["results"] if (r.get("parameters") or {}).get("scale")]
    rows.sort(key=lambda r: (int(r["parameters"]["scale"]), int(r["parameters"].get("threads", 0))))
    other = [r for r in data["results"] if r not in rows]
    files = meta.get("files") or {}
    nbytes = meta.get("bytes") or {}
    base = {}
    for r in rows:
        p = r["parameters"]
        base.setdefault(p["scale"], {})[p["threads"]] = r
    out.append("| scale | files | threads | median wall | user+sys CPU | files/s | MB/s | speed-up vs 1 thread |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        p = r["parameters"]
        key = "corpus-x%s" % p["scale"]
        n = files.get(key)
        b = nbytes.get(key)
        one = base.get(p["scale"], {}).get("1")
        sp = "%.2f×" % (one["median"] / r["median"]) if one and r["median"] else "—"
        out.append("| x%s | %s | %s | %s | %s | %s | %s | %s |" % (
            p["scale"], "{:,}".format(n) if n else "?", p["threads"], fmt_time(r["median"]),
            fmt_time(cpu(r)), fmt_num(n / r["median"]) if n else "n/a",
            fmt_num(b / 1e6 / r["median"]) if b else "n/a", sp))
    if other:
        out.append("")
        out += suite_table(other, meta, data["results"])
    return out


def memory_table(data):
    out = ["| command | peak RSS | wall | exit codes |", "|---|---:|---:|---:|"]
    for r in data["results"]:
        kb = r.get("max_rss_kb")
        walls = [w for w in r.get("wall_s_runs") or [] if w is not None]
        out.append("| `%s` | %s | %s | %s |" % (
            r["command"], "%.1f MB" % (kb / 1024) if kb else "n/a",
            fmt_time(statistics.median(walls)) if walls else "n/a",
            ",".join(str(c) for c in sorted(set(r.get("exit_codes") or [])))))
    return out


def commands_list(data, bench_dir):
    out = ["", "<details><summary>exact commands</summary>", ""]
    for r in data["results"]:
        if "command_line" in r:
            cwd = os.path.relpath(r.get("cwd") or bench_dir, bench_dir)
            cwd = "$BENCH_DIR" if cwd == "." else "$BENCH_DIR/" + cwd
            out.append("- `%s` (in `%s`): `%s`" % (r["command"], cwd, short_cmd(r["command_line"])))
    out += ["", "</details>"]
    return out


def report(results_dir):
    meta = load(os.path.join(results_dir, "meta.json")) or {}
    bench_dir = os.path.dirname(os.path.abspath(results_dir))
    lines = ["## Environment", ""]
    lines.append("| | |")
    lines.append("|---|---|")
    for k in ("cpu", "nproc", "memory", "kernel", "date"):
        if k in meta:
            lines.append("| %s | %s |" % (k, meta[k]))
    for tool, v in (meta.get("version") or {}).items():
        lines.append("| %s | %s |" % (tool, v or "(no --version output)"))
    settings = meta.get("settings") or {}
    if settings:
        lines.append("| hyperfine settings | -N, warmup %s, %s runs (yamllint/Checkov: %s runs, warmup %s; hook: %s runs, warmup %s); "
                     "median wall, mean user+sys |" % (
                         settings.get("warmup"), settings.get("runs"), settings.get("slow_runs"), settings.get("slow_warmup"),
                         settings.get("hook_runs"), settings.get("hook_warmup")))
        lines.append("| shipshape args | `%s` |" % settings.get("shipshape_args", ""))
    files = meta.get("files") or {}
    nbytes = meta.get("bytes") or {}
    if files:
        lines += ["", "| input | YAML/JSON files | MB |", "|---|---:|---:|"]
        for k in files:
            lines.append("| `%s` | {:,} | %.1f |".format(files[k]) % (k, (nbytes.get(k) or 0) / 1e6))
    for suite in SUITES:
        data = load(os.path.join(results_dir, suite + ".json"))
        if not data:
            continue
        lines += ["", "## %s" % suite, ""]
        if suite in NOTES:
            lines += [NOTES[suite], ""]
        lines += scale_table(data, meta) if suite == "scale" else suite_table(data["results"], meta)
        lines += commands_list(data, bench_dir)
    mem = load(os.path.join(results_dir, "memory.json"))
    if mem:
        lines += ["", "## memory", "",
                  "Peak resident set size (GNU time -v), median of %s runs." % mem.get("runs"), ""]
        lines += memory_table(mem)
        lines += commands_list(mem, bench_dir)
    print("\n".join(lines))


def main(argv):
    if len(argv) >= 2 and argv[1] == "--merge":
        merge(argv[2], argv[3], argv[4], argv[5:])
    elif len(argv) >= 2 and argv[1] == "--memory":
        memory(argv[2], argv[3], int(argv[4]))
    elif len(argv) >= 2 and argv[1] in ("-h", "--help"):
        print(__doc__)
    else:
        default = os.path.join(os.environ.get("BENCH_DIR", "/tmp/shipshape-bench"), "results")
        report(argv[1] if len(argv) > 1 else default)


if __name__ == "__main__":
    main(sys.argv)
