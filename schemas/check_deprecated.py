#!/usr/bin/env python3
"""Check schemas/deprecated-apis.json against kubernetes-validate's schemas.

Usage:
    python3 schemas/check_deprecated.py KV_DIR [TABLE]

KV_DIR is the installed kubernetes_validate package directory, or its
kubernetes-json-schema/ folder. TABLE defaults to deprecated-apis.json beside
this script. Standard library only.

kubernetes-validate ships one JSON Schema per definition and Kubernetes
version in kubernetes-json-schema/v1.N.0-local/; a file whose apiVersion and
kind properties are enums is a top-level kind served by that release. The
checks:

  * format: keys, value types, sort order (group, version, kind), no
    duplicates, and the canonical layout that render() writes;
  * deprecated, when set with removed, is the earlier release;
  * removed "1.N": present in v1.(N-1) and absent in v1.N and every later
    packaged release (each side checked when that release is packaged);
  * removed null: present in the newest packaged release;
  * replacement: served in the newest packaged release with the same kind,
    or, when a note says the kind differs, the apiVersion serves some kind;
  * completeness: every kind that disappears between two consecutive
    packaged releases has an entry removed in the later one, and every kind
    whose newest schema says "This API is deprecated in v1.N+" has an entry
    deprecated in 1.N.

Exit status 0 when every check passes, 1 otherwise.
"""

import json
import os
import re
import sys

VERSION_RE = re.compile(r"^1\.(\d+)$")
RELEASE_DIR_RE = re.compile(r"^v1\.(\d+)\.0-local$")
DESCRIPTION_RE = re.compile(r"This API is deprecated in v1\.(\d+)\+")
ENTRY_KEYS = ("apiVersion", "kind", "deprecated", "removed", "replacement")
OPTIONAL_KEYS = ("replacementKind", "note")


def render(table):
    """The canonical text of the table: 2-space indent, one entry a line."""
    lines = ["{", "  %s: %s," % (json.dumps("source"), json.dumps(table["source"], ensure_ascii=False))]
    lines.append('  "apis": [')
    entries = [json.dumps(e, ensure_ascii=False) for e in table["apis"]]
    lines.extend("    %s%s" % (e, "," if i < len(entries) - 1 else "") for i, e in enumerate(entries))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def sort_key(entry):
    group, _, version = entry["apiVersion"].rpartition("/")
    return (group, version, entry["kind"])


def minor(value):
    return int(VERSION_RE.match(value).group(1))


def schema_root(path):
    sub = os.path.join(path, "kubernetes-json-schema")
    return sub if os.path.isdir(sub) else path


def load_served(path):
    """{minor: {(apiVersion, kind)}} and {(apiVersion, kind): deprecated minor}
    for the newest release, from the per-release schema folders."""
    root = schema_root(path)
    served = {}
    newest_descriptions = {}
    for name in os.listdir(root):
        m = RELEASE_DIR_RE.match(name)
        if not m:
            continue
        release = int(m.group(1))
        kinds = set()
        described = {}
        folder = os.path.join(root, name)
        for fname in os.listdir(folder):
            # _definitions.json and all.json are indexes; *-meta-v1.json are
            # apimachinery envelopes (DeleteOptions, Status, APIGroup, ...).
            if not fname.endswith(".json") or fname.startswith("_") or fname == "all.json":
                continue
            if fname.endswith("-meta-v1.json"):
                continue
            with open(os.path.join(folder, fname), encoding="utf-8") as f:
                doc = json.load(f)
            props = doc.get("properties") or {}
            api_versions = (props.get("apiVersion") or {}).get("enum")
            kind_names = (props.get("kind") or {}).get("enum")
            if not api_versions or not kind_names:
                continue
            for av in api_versions:
                for kind in kind_names:
                    if kind.endswith("List"):
                        continue
                    kinds.add((av, kind))
                    d = DESCRIPTION_RE.search(doc.get("description") or "")
                    if d:
                        described[(av, kind)] = int(d.group(1))
        served[release] = kinds
        newest_descriptions[release] = described
    if not served:
        sys.exit("no v1.N.0-local folders under %s" % root)
    return served, newest_descriptions[max(served)]


def check_format(text, table, errors):
    if not isinstance(table, dict) or set(table) != {"source", "apis"}:
        errors.append('top level must be an object with exactly "source" and "apis"')
        return False
    if not isinstance(table["source"], str) or not table["source"]:
        errors.append('"source" must be a non-empty string')
    if not isinstance(table["apis"], list):
        errors.append('"apis" must be a list')
        return False
    ok = True
    for i, e in enumerate(table["apis"]):
        where = "apis[%d]" % i
        if not isinstance(e, dict):
            errors.append("%s: not an object" % where)
            ok = False
            continue
        keys = list(e)
        want = list(ENTRY_KEYS) + [k for k in OPTIONAL_KEYS if k in e]
        if keys != want:
            errors.append("%s: keys must be %s in that order, found %s" % (where, want, keys))
            ok = False
            continue
        where = "%s %s" % (e["apiVersion"], e["kind"])
        for k in ("apiVersion", "kind"):
            if not isinstance(e[k], str) or not e[k]:
                errors.append("%s: %s must be a non-empty string" % (where, k))
                ok = False
        for k in ("deprecated", "removed"):
            if e[k] is not None and not (isinstance(e[k], str) and VERSION_RE.match(e[k])):
                errors.append('%s: %s must be "1.N" or null, found %r' % (where, k, e[k]))
                ok = False
        if e["replacement"] is not None and not (isinstance(e["replacement"], str) and e["replacement"]):
            errors.append("%s: replacement must be a non-empty string or null" % where)
            ok = False
        if "note" in e and not (isinstance(e["note"], str) and e["note"]):
            errors.append("%s: note, when present, must be a non-empty string" % where)
            ok = False
    if not ok:
        return False
    keys = [sort_key(e) for e in table["apis"]]
    for a, b in zip(keys, keys[1:]):
        if a == b:
            errors.append("duplicate entry %s" % (a,))
        elif a > b:
            errors.append("not sorted by (group, version, kind): %s before %s" % (a, b))
    if text != render(table):
        errors.append("layout differs from render(): 2-space indent, one entry per line, keys in order, trailing newline")
    return True


def check(table, served, described, errors):
    releases = sorted(served)
    oldest, newest = releases[0], releases[-1]
    stats = dict(both=0, absent_only=0, served=0, replacement=0, dropped=0, described=0)
    index = {(e["apiVersion"], e["kind"]): e for e in table["apis"]}
    served_gv = {av for av, _ in served[newest]}

    for e in table["apis"]:
        gvk = (e["apiVersion"], e["kind"])
        name = "%s %s" % gvk
        dep, rem, repl = e["deprecated"], e["removed"], e["replacement"]
        if dep and rem and minor(dep) >= minor(rem):
            errors.append("%s: deprecated %s is not before removed %s" % (name, dep, rem))
        if rem is not None:
            n = minor(rem)
            if n > newest:
                errors.append("%s: removed %s is later than the newest packaged release v1.%d" % (name, rem, newest))
                continue
            if n - 1 in served:
                if gvk not in served[n - 1]:
                    errors.append("%s: removed %s, but absent from v1.%d" % (name, rem, n - 1))
            later = [r for r in releases if r >= n]
            present = [r for r in later if gvk in served[r]]
            if present:
                errors.append("%s: removed %s, but present in %s" % (name, rem, ", ".join("v1.%d" % r for r in present)))
            if not present and (n - 1 not in served or gvk in served[n - 1]):
                stats["both" if n - 1 in served else "absent_only"] += 1
        else:
            if gvk not in served[newest]:
                errors.append("%s: removed is null, but absent from v1.%d" % (name, newest))
            else:
                stats["served"] += 1
        if repl is not None:
            if repl == e["apiVersion"]:
                errors.append("%s: replacement is its own apiVersion" % name)
            elif (repl, e.get("replacementKind", e["kind"])) in served[newest]:
                stats["replacement"] += 1
            elif "note" in e and repl in served_gv:
                stats["replacement"] += 1
            elif repl in served_gv:
                errors.append("%s: %s serves no %s in v1.%d; add a note naming the replacement kind" % (name, repl, e["kind"], newest))
            else:
                errors.append("%s: replacement %s is not served in v1.%d" % (name, repl, newest))

    for prev, cur in zip(releases, releases[1:]):
        if cur != prev + 1:
            continue
        for gvk in sorted(served[prev] - served[cur]):
            e = index.get(gvk)
            if e is None:
                errors.append("%s %s: in v1.%d, not in v1.%d, and not in the table" % (gvk + (prev, cur)))
            elif e["removed"] != "1.%d" % cur:
                errors.append("%s %s: dropped in v1.%d, table says removed %s" % (gvk + (cur, e["removed"])))
            else:
                stats["dropped"] += 1

    for gvk, n in sorted(described.items()):
        e = index.get(gvk)
        if e is None:
            errors.append("%s %s: v1.%d schema says deprecated in v1.%d, not in the table" % (gvk + (newest, n)))
        elif e["deprecated"] != "1.%d" % n:
            errors.append("%s %s: v1.%d schema says deprecated in v1.%d, table says %s" % (gvk + (newest, n, e["deprecated"])))
        else:
            stats["described"] += 1
    return stats


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[1])
    table_path = argv[2] if len(argv) == 3 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "deprecated-apis.json")
    with open(table_path, encoding="utf-8") as f:
        text = f.read()
    table = json.loads(text)
    errors = []
    if not check_format(text, table, errors):
        for e in errors:
            print("FAIL", e)
        return 1
    served, described = load_served(argv[1])
    releases = sorted(served)
    stats = check(table, served, described, errors)
    apis = table["apis"]
    removed = sum(1 for e in apis if e["removed"] is not None)
    print("kubernetes-validate schemas: v1.%d..v1.%d (%d releases)" % (releases[0], releases[-1], len(releases)))
    print("table: %d entries (%d removed, %d still served)" % (len(apis), removed, len(apis) - removed))
    print("removed, present in v1.(N-1) and absent from v1.N on: %d" % stats["both"])
    print("removed, absent from every packaged release (v1.(N-1) not packaged): %d" % stats["absent_only"])
    print("removed null, served in v1.%d: %d" % (releases[-1], stats["served"]))
    print("replacements served in v1.%d: %d of %d" % (releases[-1], stats["replacement"], sum(1 for e in apis if e["replacement"])))
    print("kinds dropped between consecutive packaged releases, all listed: %d" % stats["dropped"])
    print("deprecations stated in v1.%d schema descriptions, all listed: %d" % (releases[-1], stats["described"]))
    for e in errors:
        print("FAIL", e)
    print("FAILED: %d problem(s)" % len(errors) if errors else "OK")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
