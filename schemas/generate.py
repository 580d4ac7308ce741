#!/usr/bin/env python3
"""Build the schema bundles shipshape embeds (schemas/bundled/*.json).

Needs Python 3 and PyYAML (for the CRD sources). The one-time set-up:

    python3 -m venv /tmp/gen
    /tmp/gen/bin/pip install pyyaml==6.0.4 kubernetes-validate==1.37.0

Regenerate:

    /tmp/gen/bin/python schemas/generate.py \
        --k8s "$(/tmp/gen/bin/python -c 'import kubernetes_validate,os;print(os.path.dirname(kubernetes_validate.__file__))')" \
        --mirrors /work/.mirror --out schemas/bundled

`--k8s` is the kubernetes_validate package directory (or its
kubernetes-json-schema/v1.37.0-local directory). `--mirrors` holds one git
directory per upstream repository, `<owner>+<name>/repo`; every file is read
at the commit pinned in PINS below, never at whatever HEAD is. `--check`
regenerates into a temporary directory and compares with `--out` (exit 1 on
any difference). `--stats` prints what was dropped and every pattern.

See schemas/README.md for the bundle format.
"""

import argparse
import collections
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from urllib.parse import unquote

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit(
        "schemas/generate.py needs PyYAML to read the CRD sources:\n"
        "  python3 -m venv /tmp/gen && /tmp/gen/bin/pip install pyyaml==6.0.4 kubernetes-validate==1.37.0\n"
        "then run it with /tmp/gen/bin/python."
    )

# ---------------------------------------------------------------------------
# Pinned sources. Bump a commit here (and in schemas/README.md), regenerate,
# review the diff of schemas/bundled.

K8S_VERSION = "v1.37.0"
KV_VERSION = "1.37.0"  # the kubernetes-validate release that ships it
# sha256 of kubernetes-json-schema/v1.37.0-local/_definitions.json in that release.
K8S_DEFINITIONS_SHA256 = "e1cc369ddafebc822940791b134361062e1b754a393104857ede92a81f2aa2a2"

FLUX_CRD_DIR = "config/crd/bases"

PINS = {
    "argoproj/argo-cd": {
        "commit": "37ee0097cf851bc2dd7665fc081bbce61a7e836e",
        "version": "master 2026-08-22 (VERSION 3.6.0)",
        "dir": "manifests/crds",
        "files": ["application-crd.yaml", "applicationset-crd.yaml", "appproject-crd.yaml"],
    },
    "fluxcd/source-controller": {
        "commit": "39b711b111fa906c3db0a424e252a5d12e48646d",
        "version": "v1.9.0-13-g39b711b1",
        "dir": FLUX_CRD_DIR,
        "files": None,  # every *.yaml in dir
    },
    "fluxcd/kustomize-controller": {
        "commit": "186fb3b29138ce82ff61ba1a9370b96a3dd598fe",
        "version": "v1.9.0-36-g186fb3b",
        "dir": FLUX_CRD_DIR,
        "files": None,
    },
    "fluxcd/helm-controller": {
        "commit": "0f61a8607a62be64638f2f912d9487e653960a6e",
        "version": "v1.6.0-21-g0f61a86",
        "dir": FLUX_CRD_DIR,
        "files": None,
    },
    "fluxcd/notification-controller": {
        "commit": "2e46958a67f3af0e3e755a4fcaf7397d5803725e",
        "version": "v1.9.0-37-g2e46958",
        "dir": FLUX_CRD_DIR,
        "files": None,
    },
    "fluxcd/image-reflector-controller": {
        "commit": "debe2aaa3a98ad3ca69e178638402a5a0feec4a6",
        "version": "v1.2.0-7-gdebe2aa",
        "dir": FLUX_CRD_DIR,
        "files": None,
    },
    "fluxcd/image-automation-controller": {
        "commit": "d36e2ea07a3973a0e8ace7678d933a89b76f9dda",
        "version": "v1.2.0-13-gd36e2ea",
        "dir": FLUX_CRD_DIR,
        "files": None,
    },
    "bitnami-labs/sealed-secrets": {
        "commit": "86671a8851be1e6c2dfef4e12e2d7c19ed24ac94",
        "version": "v0.36.6-7-g86671a88",
        "dir": "helm/sealed-secrets/crds",
        "files": ["bitnami.com_sealedsecrets.yaml"],
    },
    "external-secrets/external-secrets": {
        "commit": "cc5bfbc2234ace9cb0caff4ea89c435cf517b27b",
        "version": "v2.9.0-1-gcc5bfbc22",
        "dir": "config/crds/bases",
        "files": [
            "external-secrets.io_%s.yaml" % n
            for n in (
                "externalsecrets",
                "secretstores",
                "clustersecretstores",
                "clusterexternalsecrets",
                "pushsecrets",
                "clusterpushsecrets",
            )
        ],
    },
    "SchemaStore/schemastore": {
        "commit": "3b6446ad8a077bac56f4a4796c0b7fd88927fc8e",
        "version": "master 2026-08-07",
        "dir": "src/schemas/json",
        "files": ["github-workflow.json", "github-action.json", "kustomization.json"],
    },
    "microsoft/azure-pipelines-vscode": {
        "commit": "e8090fd525cd6ba47d7685c698f3f51983e298c6",
        "version": "main 2026-08-20 (schema v1.261.1)",
        "dir": "",
        "files": ["service-schema.json"],
    },
}

CRD_REPOS = [
    "argoproj/argo-cd",
    "fluxcd/source-controller",
    "fluxcd/kustomize-controller",
    "fluxcd/helm-controller",
    "fluxcd/notification-controller",
    "fluxcd/image-reflector-controller",
    "fluxcd/image-automation-controller",
    "bitnami-labs/sealed-secrets",
    "external-secrets/external-secrets",
]

# Built-in kinds left out although they carry a group-version-kind: they are
# subresources only (no collection of their own), so no manifest applies them.
K8S_SUBRESOURCE_ONLY = {
    ("autoscaling", "v1", "Scale"): "deployments/scale and the like",
    ("policy", "v1", "Eviction"): "pods/eviction",
    ("authentication.k8s.io", "v1", "TokenRequest"): "serviceaccounts/token",
}

INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
# A resource quantity ("500m", "2Gi", or a number): the validator checks the
# string form against apimachinery's grammar under this format.
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

# ---------------------------------------------------------------------------
# Keywords.

KEEP = {
    "type", "properties", "additionalProperties", "patternProperties", "required",
    "items", "additionalItems", "enum", "const", "oneOf", "anyOf", "allOf", "not",
    "if", "then", "else", "dependencies", "pattern", "format", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "minLength",
    "maxLength", "minProperties", "maxProperties", "uniqueItems", "$ref", "nullable",
    "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource", "x-ignore-case-keys", "x-ignore-case-values",
    "x-dispatch",
}

# Annotations and server-side hints, dropped. Any keyword in neither set stops
# the generator: a new validation keyword upstream must be a decision here,
# not a silent loosening.
DROP = {
    "description", "title", "default", "examples", "example", "$comment",
    "markdownDescription", "deprecationMessage", "$schema", "$id",
    "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
    "x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key",
    "x-kubernetes-map-type", "x-kubernetes-unions",
    "x-kubernetes-group-version-kind", "x-kubernetes-validations",
}

SCHEMA_MAPS = ("properties", "patternProperties")
SUBSCHEMA = ("additionalProperties", "additionalItems", "not", "if", "then", "else")
SCHEMA_LISTS = ("oneOf", "anyOf", "allOf")
BOOL_KEYWORDS = (
    "x-ignore-case-keys", "x-ignore-case-values", "uniqueItems", "nullable", "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
)
NUMBER_KEYWORDS = (
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems",
    "maxItems", "minLength", "maxLength", "minProperties", "maxProperties",
)


class GenError(Exception):
    pass


def fail(msg):
    raise GenError(msg)


class Stats:
    def __init__(self):
        self.dropped = collections.Counter()  # over every source definition
        # The rest over the finished bundle.
        self.keywords = collections.Counter()
        self.patterns = collections.Counter()
        self.pattern_keys = collections.Counter()
        self.formats = collections.Counter()
        self.ref_siblings = []

    def survey(self, defs):
        for name, d in defs.items():
            walk_schemas(d, self.node)

    def node(self, n):
        self.keywords.update(n.keys())
        if "pattern" in n:
            self.patterns[n["pattern"]] += 1
        if "format" in n:
            self.formats[n["format"]] += 1
        self.pattern_keys.update(n.get("patternProperties", {}).keys())
        if "$ref" in n and len(n) > 1:
            # The validator follows a $ref and ignores its siblings (draft-07).
            self.ref_siblings.append(sorted(set(n) - {"$ref"}))


def check_data(v, where):
    """enum/const/required values: plain JSON, nothing YAML-only (dates, sets)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, float)):
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            fail(f"{where}: non-finite number")
        return v
    if isinstance(v, list):
        return [check_data(x, where) for x in v]
    if isinstance(v, dict):
        for k in v:
            if not isinstance(k, str):
                fail(f"{where}: non-string key {k!r}")
        return {k: check_data(x, where) for k, x in v.items()}
    fail(f"{where}: {type(v).__name__} is not JSON data")


def clean(node, ref, where, stats):
    """A copy of `node` with only KEEP keywords, every $ref passed through `ref`."""
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict):
        fail(f"{where}: a schema must be an object or a boolean, not {type(node).__name__}")
    out = {}
    for k, v in node.items():
        if k in DROP:
            stats.dropped[k] += 1
            continue
        if k not in KEEP:
            fail(f"{where}: unknown keyword {k!r}; add it to KEEP or DROP in schemas/generate.py")
        at = f"{where}/{k}"
        if k in SCHEMA_MAPS:
            if not isinstance(v, dict):
                fail(f"{at}: must be a mapping")
            out[k] = {name: clean(s, ref, f"{at}/{name}", stats) for name, s in v.items()}
        elif k == "dependencies":
            if not isinstance(v, dict):
                fail(f"{at}: must be a mapping")
            out[k] = {
                name: (check_data(s, at) if isinstance(s, list) else clean(s, ref, f"{at}/{name}", stats))
                for name, s in v.items()
            }
        elif k == "items":
            if isinstance(v, list):
                out[k] = [clean(s, ref, f"{at}/{i}", stats) for i, s in enumerate(v)]
            else:
                out[k] = clean(v, ref, at, stats)
        elif k in SUBSCHEMA:
            out[k] = clean(v, ref, at, stats)
        elif k in SCHEMA_LISTS:
            if not isinstance(v, list):
                fail(f"{at}: must be a list")
            out[k] = [clean(s, ref, f"{at}/{i}", stats) for i, s in enumerate(v)]
        elif k == "x-dispatch":
            if not (isinstance(v, dict) and set(v) == {"property", "cases"} and isinstance(v["property"], str)):
                fail(f"{at}: must be {{property, cases}}")
            cases = {name: clean(c, ref, f"{at}/cases/{name}", stats) for name, c in v["cases"].items()}
            out[k] = {"property": v["property"], "cases": cases}
        elif k == "$ref":
            if not isinstance(v, str):
                fail(f"{at}: must be a string")
            out[k] = ref(v, at)
        elif k == "type":
            if not (isinstance(v, str) or (isinstance(v, list) and all(isinstance(t, str) for t in v))):
                fail(f"{at}: must be a string or a list of strings")
            out[k] = check_data(v, at)
        elif k in ("pattern", "format"):
            if not isinstance(v, str):
                fail(f"{at}: must be a string")
            out[k] = v
        elif k == "required":
            if not (isinstance(v, list) and all(isinstance(r, str) for r in v)):
                fail(f"{at}: must be a list of strings")
            out[k] = list(v)
        elif k in BOOL_KEYWORDS:
            if not isinstance(v, bool):
                fail(f"{at}: must be a boolean")
            out[k] = v
        elif k in NUMBER_KEYWORDS:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                fail(f"{at}: must be a number")
            out[k] = v
        else:  # enum, const: data
            if k == "enum" and not isinstance(v, list):
                fail(f"{at}: must be a list")
            out[k] = check_data(v, at)
    return out


def refs_in(node):
    """Every $ref under a schema; field names such as "enum" or "$ref" are not keywords."""
    acc = []
    walk_schemas(node, lambda n: acc.append(n["$ref"]) if "$ref" in n else None)
    return acc


def walk_schemas(node, fn):
    """Calls fn on every schema object under node (not on enum/const data)."""
    if not isinstance(node, dict):
        return
    fn(node)
    for k, v in node.items():
        if k in SCHEMA_MAPS:
            for s in v.values():
                walk_schemas(s, fn)
        elif k == "dependencies":
            for s in v.values():
                walk_schemas(s, fn)
        elif k in SUBSCHEMA:
            walk_schemas(v, fn)
        elif k == "x-dispatch":
            for s in v["cases"].values():
                walk_schemas(s, fn)
        elif k == "items" or k in SCHEMA_LISTS:
            for s in v if isinstance(v, list) else [v]:
                walk_schemas(s, fn)


def unpointer(token):
    """A JSON pointer token's text (percent-decoding and ~1, ~0)."""
    return unquote(token).replace("~1", "/").replace("~0", "~")


class Bundle:
    def __init__(self, name, structural):
        self.name = name
        self.structural = structural
        self.sources = []
        self.kinds = {}
        self.defs = {}
        self.stats = Stats()
        self.pruned = 0
        # Azure Pipelines: deprecated task versions -> the newest version.
        self.deprecated = None

    def add_def(self, name, schema):
        if name in self.defs:
            fail(f"{self.name}: definition {name!r} twice")
        self.defs[name] = schema

    def add_kind(self, key, def_name):
        if key in self.kinds:
            fail(f"{self.name}: kind {key!r} twice")
        self.kinds[key] = def_name

    def finish(self):
        """Keeps the definitions the kinds reach; checks every $ref resolves."""
        for key, d in self.kinds.items():
            if d not in self.defs:
                fail(f"{self.name}: kind {key!r} names missing definition {d!r}")
        reached, todo = set(), sorted(set(self.kinds.values()))
        while todo:
            d = todo.pop()
            if d in reached:
                continue
            reached.add(d)
            for r in refs_in(self.defs[d]):
                if not r.startswith("#/defs/"):
                    fail(f"{self.name}: definition {d!r} has $ref {r!r}, not #/defs/<name>")
                target = r[len("#/defs/"):]
                if target not in self.defs:
                    fail(f"{self.name}: definition {d!r} has $ref {r!r}, which is not in defs")
                todo.append(target)
        self.pruned = len(self.defs) - len(reached)
        self.defs = {k: v for k, v in self.defs.items() if k in reached}
        self.stats.survey(self.defs)
        if self.structural and self.stats.ref_siblings:
            # Kubernetes' 2020-12 schemas apply a $ref's siblings; the validator does not.
            fail(f"{self.name}: $ref with sibling keywords {self.stats.ref_siblings[0]}")
        out = {
            "name": self.name,
            "sources": self.sources,
            "structural": self.structural,
            "kinds": self.kinds,
            "defs": self.defs,
        }
        if self.deprecated is not None:
            out["deprecated"] = self.deprecated
        return out


# ---------------------------------------------------------------------------
# Git mirrors.


def git_dir(mirrors, repo):
    d = os.path.join(mirrors, repo.replace("/", "+"), "repo")
    if not os.path.isdir(d):
        fail(f"no mirror of {repo} at {d}")
    return d


def git(d, *args):
    r = subprocess.run(["git", "-C", d, *args], capture_output=True)
    if r.returncode != 0:
        fail(f"git -C {d} {' '.join(args)}: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout


def pinned_files(mirrors, repo):
    """[(path, text)] of the pinned files of repo, read at the pinned commit."""
    pin = PINS[repo]
    d = git_dir(mirrors, repo)
    commit = pin["commit"]
    if git(d, "cat-file", "-t", commit).strip() != b"commit":
        fail(f"{repo}: pinned commit {commit} is not in {d}")
    names = pin["files"]
    if names is None:
        listed = git(d, "ls-tree", "--name-only", commit, pin["dir"] + "/").decode().split("\n")
        names = sorted(os.path.basename(p) for p in listed if p.endswith(".yaml"))
        names = [n for n in names if n != "kustomization.yaml"]
        if not names:
            fail(f"{repo}: no *.yaml under {pin['dir']} at {commit}")
    paths = [f"{pin['dir']}/{n}" if pin["dir"] else n for n in names]
    return [(p, git(d, "show", f"{commit}:{p}").decode("utf-8")) for p in paths]


def github_url(repo, path, tree=False):
    return f"https://github.com/{repo}/{'tree' if tree else 'blob'}/{PINS[repo]['commit']}/{path}"


# ---------------------------------------------------------------------------
# Kubernetes built-in kinds.


def k8s_schema_dir(arg):
    name = f"{K8S_VERSION}-local"
    for cand in (arg, os.path.join(arg, "kubernetes-json-schema", name), os.path.join(arg, name)):
        if os.path.basename(os.path.normpath(cand)) == name and os.path.isfile(
            os.path.join(cand, "_definitions.json")
        ):
            return os.path.normpath(cand)
    fail(f"--k8s {arg}: no {name}/_definitions.json (the non-strict variant) there")


def k8s_package_version(schema_dir):
    """The kubernetes-validate version next to the schema dir, if installed there."""
    site = os.path.dirname(os.path.dirname(os.path.dirname(schema_dir)))
    if not os.path.isdir(site):
        return None
    for n in os.listdir(site):
        if n.startswith("kubernetes_validate-") and n.endswith(".dist-info"):
            with open(os.path.join(site, n, "METADATA"), encoding="utf-8") as f:
                for line in f:
                    if line.startswith("Version:"):
                        return line.split(":", 1)[1].strip()
    return None


K8S_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/([^/]+)$")


def k8s_ref(r, where):
    m = K8S_REF.match(r)
    if not m:
        fail(f"{where}: $ref {r!r} is not #/$defs/<name>")
    return "#/defs/" + unpointer(m.group(1))


def build_kubernetes(k8s_arg):
    schema_dir = k8s_schema_dir(k8s_arg)
    found = k8s_package_version(schema_dir)
    if found is not None and found != KV_VERSION:
        fail(f"{schema_dir}: kubernetes-validate {found} installed, {KV_VERSION} pinned")
    with open(os.path.join(schema_dir, "_definitions.json"), "rb") as f:
        raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != K8S_DEFINITIONS_SHA256:
        fail(f"{schema_dir}/_definitions.json: sha256 {digest}, pinned {K8S_DEFINITIONS_SHA256}")
    src = json.loads(raw.decode("utf-8"))["$defs"]

    # The -local variant leaves objects open; -local-strict closes every one.
    closed = []
    for name, d in src.items():
        walk_schemas(d, lambda n: closed.append(name) if n.get("additionalProperties") is False else None)
    if closed:
        fail(f"{schema_dir}: {len(closed)} objects carry additionalProperties: false (the strict variant?)")

    b = Bundle("kubernetes", structural=True)
    b.sources = [
        {
            "name": "kubernetes-validate",
            "version": KV_VERSION,
            "licence": "Apache-2.0",
            "url": f"https://pypi.org/project/kubernetes-validate/{KV_VERSION}/",
        },
        {
            "name": "Kubernetes OpenAPI",
            "version": K8S_VERSION,
            "licence": "Apache-2.0",
            "url": f"https://github.com/kubernetes/kubernetes/tree/{K8S_VERSION}/api/openapi-spec",
        },
    ]

    ios = src.get(INT_OR_STRING)
    want = {"oneOf": [{"type": ["string", "null"]}, {"type": ["integer", "null"]}]}
    if {k: v for k, v in (ios or {}).items() if k != "description"} != want:
        fail(f"{INT_OR_STRING} is not the expected oneOf: {ios!r}")

    for name, d in src.items():
        if name == INT_OR_STRING:
            b.add_def(name, {"x-kubernetes-int-or-string": True})
            continue
        if name == QUANTITY:
            b.add_def(name, {"type": ["string", "number", "null"], "format": "quantity"})
            continue
        b.add_def(name, clean(d, k8s_ref, name, b.stats))

    for name, d in sorted(src.items()):
        gvks = d.get("x-kubernetes-group-version-kind")
        if not gvks:
            continue
        props = d.get("properties", {})
        if len(gvks) != 1:
            # meta/v1 DeleteOptions and WatchEvent, listed under every group.
            continue
        g, v, kind = gvks[0]["group"], gvks[0]["version"], gvks[0]["kind"]
        if props.get("metadata", {}).get("$ref", "").rsplit("/", 1)[-1] != OBJECT_META:
            continue  # meta/v1 APIGroup, APIVersions, Status; lists (ListMeta)
        if kind.endswith("List") and "items" in props:
            continue
        if (g, v, kind) in K8S_SUBRESOURCE_ONLY:
            continue
        api_version = f"{g}/{v}" if g else v
        if props.get("apiVersion", {}).get("enum") != [api_version] or props.get("kind", {}).get("enum") != [kind]:
            fail(f"{name}: apiVersion/kind enums do not match {api_version} {kind}")
        b.add_kind(f"{api_version} {kind}", name)
    return b


# ---------------------------------------------------------------------------
# CRDs.


def no_ref(r, where):
    fail(f"{where}: $ref {r!r} in a CRD schema (CRDs cannot have references)")


def build_crds(mirrors):
    b = Bundle("crds", structural=True)
    for repo in CRD_REPOS:
        pin = PINS[repo]
        files = pinned_files(mirrors, repo)
        names = pin["files"]
        b.sources.append(
            {
                "name": repo,
                "version": pin["version"],
                "commit": pin["commit"],
                "licence": "Apache-2.0",
                "url": github_url(repo, pin["dir"] + "/" + names[0])
                if names and len(names) == 1
                else github_url(repo, pin["dir"], tree=True),
            }
        )
        for path, text in files:
            for doc in yaml.safe_load_all(text):
                if not doc:
                    continue
                where = f"{repo}:{path}"
                if doc.get("apiVersion") != "apiextensions.k8s.io/v1" or doc.get("kind") != "CustomResourceDefinition":
                    fail(f"{where}: not an apiextensions.k8s.io/v1 CustomResourceDefinition")
                spec = doc["spec"]
                group, kind = spec["group"], spec["names"]["kind"]
                for ver in spec["versions"]:
                    if not ver.get("served"):
                        continue
                    schema = ver.get("schema", {}).get("openAPIV3Schema")
                    if schema is None:
                        fail(f"{where}: {ver['name']} has no openAPIV3Schema")
                    name = f"{group}/{ver['name']}/{kind}"
                    b.add_def(name, clean(schema, no_ref, f"{where}#{name}", b.stats))
                    b.add_kind(f"{group}/{ver['name']} {kind}", name)
    return b


# ---------------------------------------------------------------------------
# SchemaStore (draft-07).


def schemastore_ref(prefix, root):
    def ref(r, where):
        if r == "#":
            return "#/defs/" + root
        m = re.match(r"^#/definitions/([^/]+)$", r)
        if not m:
            fail(f"{where}: $ref {r!r} is not #/definitions/<name>")
        return f"#/defs/{prefix}:{unpointer(m.group(1))}"

    return ref


def add_schemastore(b, files, file_name, root):
    """Adds the schema of file_name as def `root` and its definitions as `root:<X>`."""
    doc = json.loads(files[file_name])
    ref = schemastore_ref(root, root)
    for name, d in doc.pop("definitions", {}).items():
        b.add_def(f"{root}:{name}", clean(d, ref, f"{file_name}#/definitions/{name}", b.stats))
    b.add_def(root, clean(doc, ref, file_name, b.stats))
    repo, pin = "SchemaStore/schemastore", PINS["SchemaStore/schemastore"]
    b.sources.append(
        {
            "name": f"SchemaStore {file_name}",
            "version": pin["version"],
            "commit": pin["commit"],
            "licence": "Apache-2.0",
            "url": github_url(repo, f"{pin['dir']}/{file_name}"),
        }
    )


def schemastore_files(mirrors):
    return {os.path.basename(p): t for p, t in pinned_files(mirrors, "SchemaStore/schemastore")}


def expect(cond, what):
    if not cond:
        fail(f"a correction no longer applies (upstream changed?): {what}")


def correct_github(b):
    """Where SchemaStore is stricter than GitHub, GitHub wins: these forms
    run on GitHub, so reporting them would be false. Each correction fails
    loudly if upstream changes under it."""
    # `branches: main` (a single string) is accepted by GitHub for branch,
    # tag and path filters.
    globs = b.defs["workflow:globs"]
    expect(globs.get("type") == "array", "workflow:globs is an array")
    b.defs["workflow:globs"] = {"oneOf": [{"type": "string", "minLength": 1}, globs]}
    # An action input needs no `description`, and its `default` may be a
    # boolean or a number (actions/checkout's action.yml has `default: true`).
    inputs = b.defs["action"]["properties"]["inputs"]["patternProperties"]
    for spec in inputs.values():
        expect(spec.get("required") == ["description"], "action inputs require description")
        del spec["required"]
        expect(spec["properties"]["default"] == {"type": "string"}, "action input default is a string")
        spec["properties"]["default"] = {"type": ["string", "boolean", "number"]}


def build_github(files):
    b = Bundle("github", structural=False)
    add_schemastore(b, files, "github-workflow.json", "workflow")
    add_schemastore(b, files, "github-action.json", "action")
    correct_github(b)
    b.add_kind("workflow", "workflow")
    b.add_kind("action", "action")
    return b


def build_kustomize(files):
    b = Bundle("kustomize", structural=False)
    add_schemastore(b, files, "kustomization.json", "kustomization")
    for key in (
        "kustomize.config.k8s.io/v1beta1 Kustomization",
        "kustomize.config.k8s.io/v1alpha1 Component",
        "kustomization",
    ):
        b.add_kind(key, "kustomization")
    # kustomize rejects unknown fields in a kustomization: the top-level object
    # must be closed. Follow the root's $ref chain to that object.
    top, seen = "kustomization", set()
    while set(b.defs[top]) == {"$ref"}:
        if top in seen:
            fail("kustomization: the root is a cycle of $refs")
        seen.add(top)
        top = b.defs[top]["$ref"][len("#/defs/"):]
    obj = b.defs[top]
    for p in ("apiVersion", "kind", "metadata"):
        if p not in obj.get("properties", {}):
            fail(f"kustomization: the top-level object {top!r} does not allow {p!r}")
    # Kustomize's FieldSelector is `fieldPath` (api/types/var.go); SchemaStore
    # spells it `fieldpath`. Both read (JSON field names match either case).
    sel = b.defs["kustomization:FieldSelector"]["properties"]
    expect(list(sel) == ["fieldpath"], "kustomization FieldSelector has only fieldpath")
    sel["fieldPath"] = sel["fieldpath"]
    b.closed_top = None
    if "additionalProperties" not in obj:
        obj["additionalProperties"] = False
        b.closed_top = top
    elif obj["additionalProperties"] is not False:
        fail(f"kustomization: the top-level object {top!r} has additionalProperties {obj['additionalProperties']!r}")
    return b


# ---------------------------------------------------------------------------
# Azure Pipelines (the schema azure-pipelines-vscode ships, MIT).
#
# It describes the pipeline after template expansion, in the dialect of
# that extension's YAML service: `ignoreCase` (a value's or a key's case does
# not matter), `aliases` (other names of a task input), `firstProperty`,
# `doNotSuggest` and `deprecationMessage` (editor hints). Read here as:
#   - `ignoreCase: value|all` with `enum` (or a one-word `pattern`): the
#     enum with `x-ignore-case-values`; with another pattern, `(?i)`;
#   - `ignoreCase: key|all` (task inputs only): the inputs object gets
#     `x-ignore-case-keys`, which the validator reads as "match property
#     names without regard to case"; each alias becomes a property too;
#   - the task definition's 259 branches become one `x-dispatch` on
#     `task` (a case per task version, matched in any case): a step is
#     checked against its own task's inputs, found by a lookup rather than
#     259 tries, and a task the schema does not know (an extension's) is
#     accepted;
#   - task inputs' `required` lists and picklist `enum`s are dropped: the
#     schema does not carry task.json's `visibleRule` (HelmDeploy@0
#     "requires" its ACR inputs for every command) nor `EditableOptions`
#     (Docker@2's `command` takes any docker command), so both would report
#     valid pipelines.
# Scalars are strings to Azure Pipelines; the validator reads them so
# (`Options::AZURE`), and skips values holding `${{ }}`, `$( )` or `$[ ]`.

AZURE_FILE = "service-schema.json"
AZURE_EDITOR_HINTS = ("firstProperty", "doNotSuggest")


def azure_case(node, where):
    """`ignoreCase` on a value: an enum matched in any case (a pattern that
    is one word, `^true$`, becomes that enum), else a (?i) pattern. A list
    of such alternatives (`boolean`: true, y, yes, on, ...) becomes one
    enum, so a message can name them."""
    ic = node.pop("ignoreCase", None)
    if ic in ("value", "all"):
        word = re.fullmatch(r"\^([A-Za-z0-9_]+)\$", node.get("pattern", ""))
        if word:
            del node["pattern"]
            node["enum"] = [word.group(1)]
        if "enum" in node:
            if not all(isinstance(v, str) for v in node["enum"]):
                fail(f"{where}: a case-insensitive enum of non-strings")
            node["x-ignore-case-values"] = True
        elif "pattern" in node:
            node["pattern"] = "(?i)" + node["pattern"]
        else:
            fail(f"{where}: ignoreCase on neither an enum nor a pattern")
    elif ic not in (None, "key"):
        fail(f"{where}: ignoreCase {ic!r}")
    alts = node.get("anyOf")
    folded = lambda b: set(b) <= {"type", "enum", "x-ignore-case-values"} and b.get("x-ignore-case-values")
    if isinstance(alts, list) and len(alts) > 1 and all(isinstance(b, dict) and folded(b) for b in alts):
        if len({json.dumps(b.get("type")) for b in alts}) == 1:
            del node["anyOf"]
            node.update({k: v for k, v in alts[0].items() if k != "enum"})
            node["enum"] = [v for b in alts for v in b["enum"]]


def azure_dialect(node, where):
    """Rewrites the extension's keywords in place, depth first."""
    if isinstance(node, list):
        for i, n in enumerate(node):
            azure_dialect(n, f"{where}/{i}")
        return
    if not isinstance(node, dict):
        return
    for k in AZURE_EDITOR_HINTS:
        node.pop(k, None)
    props = node.get("properties")
    if isinstance(props, dict):
        for name, p in list(props.items()):
            if isinstance(p, dict) and p.get("ignoreCase") in ("key", "all"):
                node["x-ignore-case-keys"] = True
                if p["ignoreCase"] == "key":
                    del p["ignoreCase"]
            for alias in (p.pop("aliases", None) or []) if isinstance(p, dict) else []:
                if alias.lower() == name.lower():
                    continue
                if alias in props:
                    fail(f"{where}: alias {alias!r} of {name!r} is a property too")
                props[alias] = p
    for k, v in node.items():
        if k in ("properties", "patternProperties", "definitions"):
            for name, s in v.items():
                azure_dialect(s, f"{where}/{k}/{name}")
        elif k not in ("enum", "const", "required", "examples"):
            azure_dialect(v, f"{where}/{k}")
    azure_case(node, where)


def azure_tasks(defs):
    """The task definition with an `x-dispatch` case of inputs per task;
    returns the deprecated task versions, each with the task's newest
    version ("" when there is none)."""
    task = defs["task"]
    branches = task.pop("anyOf")
    versions, deprecated = {}, []
    for b in branches:
        m = re.fullmatch(r"\^([A-Za-z0-9_.-]+)@([0-9]+)\$", b["properties"]["task"].get("pattern", ""))
        expect(m, f"task pattern {b['properties']['task'].get('pattern')!r} is ^Name@major$")
        name, major = m.group(1), int(m.group(2))
        versions.setdefault(name.lower(), set()).add((major, name))
        if "deprecationMessage" in b:
            deprecated.append((name, major))
    expect(isinstance(branches, list) and len(branches) > 100, "task has an anyOf per task")
    expect(set(task["properties"]) >= {"task", "inputs"}, "task has task and inputs")
    # Any task name: one the schema does not list is an extension's.
    task["properties"]["task"] = {"type": "string"}
    # A task the schema lists twice (two builds of AzureCLI@2, say) takes
    # the inputs of both: every `then` applies, so each must allow them all.
    by_name = {}
    for i, b in enumerate(branches):
        name = b["properties"]["task"]
        expect(set(name) == {"pattern", "description", "ignoreCase"}, f"task branch {i} names its task by pattern")
        inputs = b["properties"].get("inputs", {"type": "object"})
        inputs.pop("required", None)
        for p in inputs.get("properties", {}).values():
            if isinstance(p, dict) and p.get("ignoreCase") == "all":
                p.pop("enum", None)
                del p["ignoreCase"]
        key = name["pattern"].lower()
        if key not in by_name:
            by_name[key] = (name, inputs)
            continue
        have = by_name[key][1].setdefault("properties", {})
        for input_name, spec in inputs.get("properties", {}).items():
            if input_name in have and have[input_name] != spec:
                have[input_name] = {"anyOf": [have[input_name], spec]}
            else:
                have[input_name] = spec
    task["x-dispatch"] = {
        "property": "task",
        "cases": {key[1:-1]: {"properties": {"inputs": inputs}} for key, (_, inputs) in by_name.items()},
    }
    out = {}
    for name, major in deprecated:
        newest, newest_name = max(versions[name.lower()])
        out[f"{name.lower()}@{major}"] = f"{newest_name}@{newest}" if newest > major else ""
    return dict(sorted(out.items()))


def correct_azure(defs):
    """Where the schema is stricter than Azure Pipelines for files this
    linter reads: a template may hold only `variables` (a variables
    template), and may declare its parameters as a mapping of defaults
    (`parameters: {name: default}`, the older form templates still use)."""
    params = defs["pipelineTemplateParameters"]
    expect(params.get("type") == "array", "pipelineTemplateParameters is a list")
    defs["pipelineTemplateParameters"] = {"anyOf": [params, {"type": "object"}]}
    pipeline = defs["pipeline"]
    expect("anyOf" in pipeline, "pipeline is an anyOf of forms")
    pipeline["anyOf"].append(
        {
            "type": "object",
            "properties": {"parameters": {"$ref": "#/definitions/pipelineTemplateParameters"},
                           "variables": {"$ref": "#/definitions/variables"}},
            "additionalProperties": False,
            "required": ["variables"],
        }
    )


def build_azure(mirrors):
    repo, pin = "microsoft/azure-pipelines-vscode", PINS["microsoft/azure-pipelines-vscode"]
    (path, text), = pinned_files(mirrors, repo)
    doc = json.loads(text)
    defs = doc.pop("definitions")
    deprecated = azure_tasks(defs)
    correct_azure(defs)
    azure_dialect(defs, AZURE_FILE)
    azure_dialect(doc, AZURE_FILE)
    b = Bundle("azure-pipelines", structural=False)
    ref = schemastore_ref("pipeline", "pipeline")
    for name, d in defs.items():
        b.add_def(f"pipeline:{name}", clean(d, ref, f"{AZURE_FILE}#/definitions/{name}", b.stats))
    b.add_def("pipeline", clean(doc, ref, AZURE_FILE, b.stats))
    b.add_kind("azure-pipeline", "pipeline")
    b.deprecated = deprecated
    b.sources.append(
        {
            "name": f"azure-pipelines-vscode {AZURE_FILE}",
            "version": pin["version"],
            "commit": pin["commit"],
            "licence": "MIT",
            "url": github_url(repo, path),
        }
    )
    return b


# ---------------------------------------------------------------------------


def dump(bundle):
    """The bundle as JSON laid out for a cheap index: the header (everything
    but `defs`) on the first line, then one definition per line, so that
    shipshape finds each definition with a scan for line ends instead of
    parsing 1 MB of JSON on every run (schema/bundled.rs). Still one JSON
    document: only whitespace differs from the minified form."""
    enc = dict(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    header = {k: v for k, v in bundle.items() if k != "defs"}
    head = json.dumps(header, **enc)
    lines = [head[:-1] + ',"defs":{']
    names = sorted(bundle["defs"])
    for i, name in enumerate(names):
        key = json.dumps(name, **enc)
        if key != f'"{name}"' or "\n" in name:
            fail(f"definition name {name!r} needs escaping")
        sep = "," if i + 1 < len(names) else ""
        lines.append(f"{key}:{json.dumps(bundle['defs'][name], **enc)}{sep}")
    lines.append("}}")
    text = "\n".join(lines)
    if json.loads(text) != bundle:
        fail("the laid-out bundle does not read back as the bundle")
    return (text + "\n").encode("utf-8")


BUILDERS = {
    "kubernetes": lambda args: build_kubernetes(args.k8s),
    "crds": lambda args: build_crds(args.mirrors),
    "github": lambda args: build_github(schemastore_files(args.mirrors)),
    "kustomize": lambda args: build_kustomize(schemastore_files(args.mirrors)),
    "azure-pipelines": lambda args: build_azure(args.mirrors),
}


def generate(args, out):
    bundles = [BUILDERS[name](args) for name in args.only]
    os.makedirs(out, exist_ok=True)
    report = []
    for b in bundles:
        data = dump(b.finish())
        with open(os.path.join(out, f"{b.name}.json"), "wb") as f:
            f.write(data)
        report.append((b, len(data), len(gzip.compress(data, 9, mtime=0))))
    return report


def print_report(report, stats):
    print(f"{'bundle':<12}{'kinds':>7}{'defs':>7}{'bytes':>11}{'gzip -9':>10}")
    for b, size, gz in report:
        print(f"{b.name:<12}{len(b.kinds):>7}{len(b.defs):>7}{size:>11}{gz:>10}")
        if getattr(b, "closed_top", None):
            print(f"  added additionalProperties: false to the top-level object {b.closed_top!r}")
    if not stats:
        return
    for b, _, _ in report:
        s = b.stats
        print(f"\n== {b.name}: {b.pruned} definitions unreachable from the kinds, left out")
        print("kept keywords: " + ", ".join(f"{k} {n}" for k, n in sorted(s.keywords.items())))
        print("dropped (all source definitions): " + ", ".join(f"{k} {n}" for k, n in sorted(s.dropped.items())))
        print("formats: " + ", ".join(f"{k} {n}" for k, n in sorted(s.formats.items())))
        for sib in s.ref_siblings:
            print(f"$ref with siblings (ignored by draft-07 rules): {sib}")
        print(f"patterns ({len(s.patterns)} distinct):")
        for p, n in sorted(s.patterns.items()):
            print(f"  {n:5} {json.dumps(p, ensure_ascii=False)}")
        print(f"patternProperties keys ({len(s.pattern_keys)} distinct):")
        for p, n in sorted(s.pattern_keys.items()):
            print(f"  {n:5} {json.dumps(p, ensure_ascii=False)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--k8s", help="kubernetes_validate package dir, or its v1.37.0-local dir (needed for the kubernetes bundle)")
    ap.add_argument("--mirrors", required=True, help="directory of <owner>+<name>/repo git mirrors")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "bundled"))
    ap.add_argument("--check", action="store_true", help="regenerate into a temp dir and compare with --out")
    ap.add_argument("--stats", action="store_true", help="also print dropped keywords, formats and patterns")
    ap.add_argument(
        "--only", action="append", choices=sorted(BUILDERS),
        help="build (or --check) only this bundle; repeatable; default: all",
    )
    args = ap.parse_args()
    args.only = args.only or list(BUILDERS)
    if "kubernetes" in args.only and not args.k8s:
        ap.error("--k8s is needed for the kubernetes bundle (or pass --only for the others)")
    try:
        if not args.check:
            print_report(generate(args, args.out), args.stats)
            return 0
        tmp = tempfile.mkdtemp(prefix="shipshape-schemas-")
        try:
            print_report(generate(args, tmp), args.stats)
            want = sorted(n for n in os.listdir(tmp) if n.endswith(".json"))
            have = sorted(n for n in os.listdir(args.out) if n.endswith(".json")) if os.path.isdir(args.out) else []
            have = [n for n in have if n[: -len(".json")] in args.only]
            bad = sorted(set(want) ^ set(have))
            for n in sorted(set(want) & set(have)):
                with open(os.path.join(tmp, n), "rb") as a, open(os.path.join(args.out, n), "rb") as c:
                    if a.read() != c.read():
                        bad.append(n)
            if bad:
                print(f"out of date in {args.out}: {', '.join(sorted(bad))}", file=sys.stderr)
                return 1
            print(f"{args.out} is up to date")
            return 0
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except GenError as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
