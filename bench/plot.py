#!/usr/bin/env python3
"""Draw docs/scaling.svg from the scale suite: files/s against corpus scale
factor, one line per --threads value. Hand-written SVG, standard library only.

    python3 bench/plot.py [--results DIR] [--out FILE]

DIR defaults to $BENCH_DIR/results (BENCH_DIR: /tmp/shipshape-bench); FILE to
docs/scaling.svg in the repository.
"""

import argparse
import json
import math
import os
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

W, H = 640, 400
ML, MR, MT, MB = 80, 150, 50, 60  # margins: left, right (legend), top, bottom
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]


def nice_ceiling(x):
    """Smallest 1/1.5/2/2.5/3/4/5/6/8 x 10^k that is >= x (5 grid steps stay round)."""
    if x <= 0:
        return 1.0
    exp = math.floor(math.log10(x))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        v = m * 10 ** exp
        if v >= x:
            return v
    return 10 ** (exp + 1)


def fmt_si(v):
    if v >= 1e6:
        return "%gM" % round(v / 1e6, 2)
    if v >= 1e3:
        return "%gk" % round(v / 1e3, 2)
    return "%g" % v


def load_series(results_dir):
    with open(os.path.join(results_dir, "scale.json"), encoding="utf-8") as fh:
        scale = json.load(fh)
    meta_path = os.path.join(results_dir, "meta.json")
    meta = {}
    if os.path.exists(meta_path):
        with open(meta_path, encoding="utf-8") as fh:
            meta = json.load(fh)
    files = meta.get("files") or {}
    series = {}  # threads -> [(scale, files/s)]
    for r in scale["results"]:
        p = r.get("parameters") or {}
        if "scale" not in p or "threads" not in p or not r.get("median"):
            continue
        n = files.get("corpus-x%s" % p["scale"])
        if not n:
            sys.exit("meta.json has no file count for corpus-x%s" % p["scale"])
        series.setdefault(int(p["threads"]), []).append((int(p["scale"]), n / r["median"]))
    if not series:
        sys.exit("no parameterised shipshape results in scale.json")
    for pts in series.values():
        pts.sort()
    return series, meta


def svg(series, meta):
    scales = sorted({s for pts in series.values() for s, _ in pts})
    ymax = nice_ceiling(max(v for pts in series.values() for _, v in pts) * 1.05)
    pw, ph = W - ML - MR, H - MT - MB
    # x: log2 of the scale factor (1, 4, 16 equally spaced); a single scale is centred
    lo, hi = math.log2(scales[0]), math.log2(scales[-1])

    def x(s):
        if hi == lo:
            return ML + pw / 2
        return ML + (math.log2(s) - lo) / (hi - lo) * pw

    def y(v):
        return MT + ph - v / ymax * ph

    o = []
    o.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
             'font-family="Helvetica, Arial, sans-serif" font-size="12">' % (W, H, W, H))
    o.append('<rect width="100%" height="100%" fill="white"/>')
    title = "shipshape throughput vs. corpus size"
    o.append('<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>' % (ML, escape(title)))
    sub = []
    version = (meta.get("version") or {}).get("shipshape")
    if version:
        sub.append(version)
    if meta.get("cpu"):
        sub.append(meta["cpu"])
    if meta.get("nproc"):
        sub.append("%s CPUs" % meta["nproc"])
    if sub:
        o.append('<text x="%d" y="40" font-size="11" fill="#555">%s</text>' % (ML, escape(", ".join(sub))))
    # grid + y ticks
    for i in range(6):
        v = ymax * i / 5
        yy = y(v)
        o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/>' % (ML, yy, ML + pw, yy))
        o.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (ML - 8, yy + 4, fmt_si(v)))
    # x ticks
    files = meta.get("files") or {}
    for s in scales:
        xx = x(s)
        o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#999"/>' % (xx, MT + ph, xx, MT + ph + 5))
        o.append('<text x="%.1f" y="%d" text-anchor="middle">x%d</text>' % (xx, MT + ph + 18, s))
        n = files.get("corpus-x%d" % s)
        if n:
            o.append('<text x="%.1f" y="%d" text-anchor="middle" font-size="10" fill="#777">%s files</text>'
                     % (xx, MT + ph + 31, fmt_si(n)))
    # axes
    o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ML, MT, ML, MT + ph))
    o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ML, MT + ph, ML + pw, MT + ph))
    o.append('<text x="%.1f" y="%d" text-anchor="middle">corpus scale factor (copies, log scale)</text>'
             % (ML + pw / 2, H - 10))
    o.append('<text transform="translate(18,%.1f) rotate(-90)" text-anchor="middle">files per second</text>'
             % (MT + ph / 2))
    # lines + legend
    for i, threads in enumerate(sorted(series)):
        c = COLORS[i % len(COLORS)]
        pts = series[threads]
        o.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                 % (c, " ".join("%.1f,%.1f" % (x(s), y(v)) for s, v in pts)))
        for s, v in pts:
            o.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>x%d, %d thread%s: %s files/s</title></circle>'
                     % (x(s), y(v), c, s, threads, "" if threads == 1 else "s", "{:,.0f}".format(v)))
        ly = MT + 10 + i * 20
        o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>'
                 % (ML + pw + 20, ly, ML + pw + 44, ly, c))
        o.append('<text x="%d" y="%d">--threads %d</text>' % (ML + pw + 50, ly + 4, threads))
    o.append("</svg>")
    return "\n".join(o) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", default=os.path.join(
        os.environ.get("BENCH_DIR", "/tmp/shipshape-bench"), "results"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "scaling.svg"))
    args = ap.parse_args()
    series, meta = load_series(args.results)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(svg(series, meta))
    print("wrote %s (%s)" % (args.out, ", ".join(
        "threads=%d: %d points" % (t, len(p)) for t, p in sorted(series.items()))))


if __name__ == "__main__":
    main()
