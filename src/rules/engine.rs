//! Rules the engine reports itself, while reading files and applying suppressions.

crate::declare_rule! {
    /// # invalid-yaml
    ///
    /// A file that is not valid YAML (or JSON), has a duplicate key, or uses
    /// aliases that would expand past the alias budget (a "billion laughs"
    /// bomb), or nests deeper than the depth limit. Also: a file that is not
    /// UTF-8 text.
    ///
    /// Templates are not YAML until rendered, and are skipped and counted
    /// (`N skipped` in the summary) rather than reported: every file under a
    /// Helm chart (a directory holding `Chart.yaml`), and a file that does
    /// not parse and has template syntax opening a node: Go templates and
    /// Jinja2 (as in an Ansible role's `templates/`) with `{{ … }}`,
    /// `{% for … %}`, `{# … #}`, and ERB's `<%= … %>`. Braces inside quotes,
    /// comments or block scalars, `${{ … }}` and `{VAR}` are not template
    /// syntax: a broken file whose only braces are there is still reported.
    /// A file whose first error lies inside a substitution placeholder
    /// (`${VAR}` filled in by Flux's `postBuild` or envsubst, a scaffolder's
    /// `${{ values.x }}`), where its `{` reads as YAML flow syntax, is a
    /// template too. `*.j2`, `*.jinja` and `*.jinja2` files are not read at
    /// all.
    ///
    /// ## Why
    /// Kubernetes and GitHub read YAML with their own parsers: a duplicate key
    /// silently keeps one value (which one depends on the parser), and a file
    /// that does not parse is not deployed at all. The documents before the
    /// error are still linted; the rest of the file is not.
    ///
    /// ## Example
    /// Fails:
    /// ```yaml
    /// metadata:
    ///   name: web
    ///   name: api     # duplicate key
    /// ```
    /// Passes:
    /// ```yaml
    /// metadata:
    ///   name: web
    /// ```
    /// Skipped (a Jinja2 template):
    /// ```yaml
    /// metadata:
    ///   name: {{ app }}-web
    /// {% if replicas %}
    /// spec:
    ///   replicas: {{ replicas }}
    /// {% endif %}
    /// ```
    ///
    /// ## Options
    /// `limits.max-depth`, `limits.max-documents`, `limits.max-alias-expansion`;
    /// `exclude` globs for files neither YAML nor recognised as templates.
    /// This rule cannot be turned off.
    pub struct InvalidYaml {
        id: "invalid-yaml",
        severity: Error,
        category: "yaml",
        summary: "syntax errors, duplicate keys, alias bombs, non-UTF-8 text",
        always_on: true,
    }
}

crate::declare_rule! {
    /// # io-error
    ///
    /// A file that was found but could not be read (permissions, deleted
    /// during the run, a special file).
    ///
    /// ## Why
    /// A required check that silently skips a file it could not read passes
    /// a change nobody linted. Every other file is still linted, and the run
    /// exits with code 2.
    ///
    /// ## Example
    /// Fails: `chmod 000 k8s/deployment.yaml`.
    /// Passes: a readable file.
    ///
    /// ## Options
    /// None. This rule cannot be turned off.
    pub struct IoError {
        id: "io-error",
        severity: Error,
        category: "meta",
        summary: "a file could not be read",
        always_on: true,
    }
}

crate::declare_rule! {
    /// # file-too-large
    ///
    /// A file larger than `limits.max-file-size` (default 8 MiB), skipped
    /// without being read.
    ///
    /// ## Why
    /// Bounded memory: a linter in a required check must not be made to read
    /// a 2 GB blob someone committed with a `.yaml` name.
    ///
    /// ## Example
    /// Fails: a 200 MB `dump.yaml`.
    /// Passes: files under the limit, or `exclude: ["dumps/**"]`.
    ///
    /// ## Options
    /// `limits.max-file-size` in the config, or `--max-file-size BYTES`.
    pub struct FileTooLarge {
        id: "file-too-large",
        severity: Warning,
        category: "meta",
        summary: "a file over the size limit was skipped",
    }
}

crate::declare_rule! {
    /// # link-outside-repository
    ///
    /// A file named on the command line (or as `--stdin-filename`) that is a
    /// symbolic link, or lies behind one, resolving outside the directory it
    /// was named in: the working directory, or the file's own repository when
    /// it is named from elsewhere. The file is not read; the run goes on.
    ///
    /// ## Why
    /// A pre-commit hook or a CI job names the files of a repository that
    /// anyone can send a pull request to. A committed link such as
    /// `k8s.yaml -> /home/runner/.kube/config` would otherwise make the linter
    /// read that file and print lines of it in a syntax-error snippet.
    /// Directories are walked without following links at all.
    ///
    /// ## Example
    /// Fails: `shipshape check k8s.yaml` where `k8s.yaml -> ../../secrets/prod.yaml`
    /// leaves the repository.
    /// Passes: a link to another file of the same repository
    /// (`deploy.yaml -> k8s/deploy.yaml`), or the target named directly.
    ///
    /// ## Options
    /// `--follow-outside-links` reads such files anyway. There is no config
    /// key: a repository must not be able to turn its own guard off.
    pub struct LinkOutsideRepository {
        id: "link-outside-repository",
        severity: Warning,
        category: "meta",
        summary: "a named file links outside the repository and was not read",
    }
}

crate::declare_rule! {
    /// # git-index-unreadable
    ///
    /// In a git checkout, the files git tracks are linted even when a
    /// `.gitignore` (or another ignore file) matches them; this note says
    /// the checkout's index (`.git/index`) could not be read for that: it is
    /// truncated or corrupt, a split index (`core.splitIndex`), of a version
    /// other than 2, 3 and 4, or `.git` is a file naming no git directory.
    /// Those files are then skipped, as outside a checkout, and the run goes
    /// on (an info: it fails the run only with `--fail-on info`).
    ///
    /// ## Why
    /// Argo CD and Flux deploy what is committed, ignore files or not: a
    /// pattern meant for a downloaded `kustomize` binary also matches a
    /// committed `kustomize/` folder, whose manifests would go unlinted.
    /// shipshape reads the index itself (it never runs git), and says so
    /// when it cannot rather than silently linting less.
    ///
    /// ## Example
    /// Fails: a checkout after `git update-index --split-index`.
    /// Passes: an index as git writes it by default (versions 2 to 4,
    /// including `feature.manyFiles`), or no `.git` at all.
    ///
    /// ## Options
    /// None; `rules: {git-index-unreadable: off}` silences it. `exclude`
    /// globs leave out tracked files too.
    pub struct GitIndexUnreadable {
        id: "git-index-unreadable",
        severity: Info,
        category: "meta",
        summary: "the git index could not be read: tracked files an ignore file matches are skipped",
    }
}

crate::declare_rule! {
    /// # invalid-config
    ///
    /// An error in `.shipshape.yaml`: an unknown key, a bad value, an unknown
    /// rule id. The run stops with exit code 2 before linting.
    ///
    /// ## Why
    /// A typo in a policy file (`registrys:`) must not silently fall back to
    /// the defaults.
    ///
    /// ## Example
    /// Fails:
    /// ```yaml
    /// registrys:
    ///   allowed: ["*.azurecr.io"]
    /// ```
    /// Passes:
    /// ```yaml
    /// registries:
    ///   allowed: ["*.azurecr.io"]
    /// ```
    ///
    /// ## Options
    /// None. This rule cannot be turned off.
    pub struct InvalidConfig {
        id: "invalid-config",
        severity: Error,
        category: "meta",
        summary: "the config file has an error",
        always_on: true,
    }
}

crate::declare_rule! {
    /// # unused-ignore
    ///
    /// A suppression comment `# shipshape: ignore[rule-id] reason` that
    /// suppresses nothing, names an unknown rule, or gives no reason.
    ///
    /// A suppression applies to findings that start on its own line (a
    /// trailing comment) or, when the comment stands alone on its line, on
    /// the line directly below it.
    ///
    /// ## Why
    /// Stale suppressions hide the next real finding at that line, and a
    /// suppression without a reason cannot be reviewed.
    ///
    /// ## Example
    /// Fails:
    /// ```yaml
    /// # shipshape: ignore[unpinned-image]
    /// image: contoso.azurecr.io/web:1.4.2   # pinned: nothing to ignore, and no reason
    /// ```
    /// Passes:
    /// ```yaml
    /// # shipshape: ignore[untrusted-registry] mirrored to ACR in Q3, tracked in OPS-12
    /// image: redis:7.2.4
    /// ```
    ///
    /// ## Options
    /// `--no-ignore` disregards every suppression (and so reports none of these).
    pub struct UnusedIgnore {
        id: "unused-ignore",
        severity: Info,
        category: "meta",
        summary: "a suppression that suppresses nothing or gives no reason",
    }
}

crate::declare_rule! {
    /// # invalid-policy
    ///
    /// A policy file of `policies.paths` that cannot be used: YAML that does
    /// not parse, a Kyverno policy whose `spec.rules` cannot be read, a CEL
    /// or JMESPath (`{{ }}`) expression that does not compile or calls an
    /// unknown function (at the expression), a condition with an unknown
    /// operator, a folder or file that cannot be read. Reported at its place
    /// in the policy file; every other policy and file is still checked. A
    /// rule that errors when evaluated on some object (a CEL expression
    /// reading a field the object does not have) is a warning at the rule,
    /// with the number of objects and the first; each such object has an
    /// info finding of the rule: nothing was decided there.
    ///
    /// ## Why
    /// A policy that silently does not run is a guardrail that is not there.
    ///
    /// ## Example
    /// Fails (`spec.rules` is not a list):
    /// ```yaml
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata: {name: require-labels}
    /// spec:
    ///   rules: {name: labels}
    /// ```
    /// Passes: `rules:` as a list of rules.
    ///
    /// ## Options
    /// `policies.paths` names the files; `rules: {invalid-policy: warning}`
    /// lowers it.
    pub struct InvalidPolicy {
        id: "invalid-policy",
        severity: Error,
        category: "meta",
        summary: "a policy file cannot be used",
    }
}

crate::declare_rule! {
    /// # policy-not-run
    ///
    /// A policy rule shipshape recognises but does not run offline, and why:
    /// mutate and generate rules (they act at admission or in the cluster),
    /// `verifyImages` and image validating policies (they need the
    /// registry), rules whose `context` reads the cluster (`configMap`,
    /// `apiCall`, `imageRegistry`) or whose variables need the admission
    /// request (`request.userInfo`, `serviceAccountName`) or the clock
    /// (`time_now_utc()`), and the Kyverno forms not supported yet
    /// (`celPreconditions`, `podSecurity`). Reported once per rule at its
    /// place in the policy file, never as a pass.
    ///
    /// ## Why
    /// A rule that is skipped must say so, rather than look like a pass.
    ///
    /// ## Example
    /// Reported:
    /// ```yaml
    /// spec:
    ///   rules:
    ///     - name: add-labels
    ///       match: {any: [{resources: {kinds: [Pod]}}]}
    ///       mutate: {patchStrategicMerge: {metadata: {labels: {team: x}}}}
    /// ```
    /// Not reported: a `validate.pattern` rule.
    ///
    /// ## Options
    /// `rules: {policy-not-run: off}` hides these notes.
    pub struct PolicyNotRun {
        id: "policy-not-run",
        severity: Info,
        category: "meta",
        summary: "a policy rule is not run offline, and why",
    }
}
