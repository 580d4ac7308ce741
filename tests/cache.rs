//! The results cache never changes an answer: random edit sequences over a
//! repository (files added, changed, deleted, renamed, edited behind the
//! cache's back with their times put back; the config changed; the cache
//! itself damaged), each step checked with the cache and without it, byte
//! for byte. Plus what happens where the cache cannot be written.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{copy_dir, fixture, shipshape, write};

/// Files a step writes: each a shape the per-file pass treats differently.
const SNIPPETS: &[&str] = &[
    // An unpinned image.
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:latest\n",
    // Pinned, from a private registry, with a pull secret.
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      imagePullSecrets:\n        - name: acr-pull\n      containers:\n        - name: api\n          image: myacr.azurecr.io/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
    // The pull secret.
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: acr-pull\n  namespace: shop\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: eyJhdXRocyI6e319\n",
    // A ServiceAccount naming a secret nobody provides.
    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\nimagePullSecrets:\n  - name: missing-secret\n",
    // Not YAML.
    "a: [1, 2\nb: c\n",
    // A template: skipped.
    "{{ if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\n{{ end }}\n",
    // Schema violations.
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  replicas: three\n  selector: {}\n  template:\n    spec:\n      containers:\n        - name: x\n          image: nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n          imagePullPolicyy: Always\n",
    // A finding silenced, and a suppression that silences nothing.
    "# shipshape: ignore[unpinned-image] reason: pinned by the pipeline\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: p\n      image: busybox\n# shipshape: ignore[operator-namespace]\n",
    // A patch (partial object).
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
    // A kustomization re-tagging and patching.
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: shop\nresources:\n  - a.yaml\n  - b.yaml\npatches:\n  - path: patch.yaml\n  - path: c.yaml\nimages:\n  - name: nginx\n    newTag: 1.27.0\n",
    // An Argo CD Application into the operator's namespace.
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://github.com/example/shop\n    path: k8s\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n",
    // A pull-mode workflow that still reaches the cluster.
    "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: |\n          docker build -t myacr.azurecr.io/web:${{ github.sha }} .\n          docker push myacr.azurecr.io/web:${{ github.sha }}\n          yq -i '.spec.template.spec.containers[0].image = \"myacr.azurecr.io/web:${{ github.sha }}\"' k8s/a.yaml\n          git commit -am bump && git push\n      - uses: azure/aks-set-context@v4\n        with:\n          cluster-name: prod\n          resource-group: rg\n",
    // A CRD and a resource of its kind.
    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              properties:\n                size: {type: integer}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: big\n",
    // A secret value in a workflow literal.
    "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    env:\n      TOKEN: hunter2-not-a-real-token\n    steps:\n      - run: echo hi\n",
];

/// Paths a step writes to.
const PATHS: &[&str] = &[
    "k8s/a.yaml",
    "k8s/b.yaml",
    "k8s/patch.yaml",
    // A patch only because the kustomization says so.
    "k8s/c.yaml",
    "k8s/kustomization.yaml",
    "apps/app.yaml",
    "apps/crd.yaml",
    ".github/workflows/ci.yml",
    "workloads/flask/extra.yaml",
    "workloads/flask/deployment.yaml",
];

/// Configs a step writes (or removes).
const CONFIGS: &[&str] = &[
    "mode: pull\nregistries:\n  allowed: [myacr.azurecr.io]\n",
    "rules:\n  unpinned-image: warning\n  schema-violation: off\n",
    "schemas:\n  strict: false\nexclude: [apps/**]\n",
];

/// A small deterministic generator (xorshift64*): the seed says the sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// The repository's YAML files (for changing, deleting, renaming).
fn yaml_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let name = e.file_name();
            if name == ".shipshape_cache" || name == "cache" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// One random step; returns what it did, for the failure message.
fn step(rng: &mut Rng, repo: &Path, cache: &Path) -> String {
    let files = yaml_files(repo);
    match rng.below(11) {
        0 | 1 => {
            let (rel, text) = (rng.pick(PATHS), rng.pick(SNIPPETS));
            write(repo, rel, text);
            format!("write {rel}")
        }
        2 if !files.is_empty() => {
            // A small edit: a tag changed, or a line appended.
            let f = &files[rng.below(files.len())];
            let text = std::fs::read_to_string(f).unwrap_or_default();
            let new = if text.contains("latest") {
                text.replace("latest", "1.27.0")
            } else {
                format!("{text}# edited\n")
            };
            std::fs::write(f, new).unwrap();
            format!("edit {}", f.display())
        }
        3 if !files.is_empty() => {
            // Same size, times put back: only the content says it changed.
            let f = &files[rng.below(files.len())];
            let mut bytes = std::fs::read(f).unwrap();
            let times = std::fs::metadata(f).unwrap().modified().unwrap();
            if let Some(b) = bytes.iter_mut().find(|b| b.is_ascii_lowercase()) {
                *b = b.to_ascii_uppercase();
            }
            std::fs::write(f, &bytes).unwrap();
            let file = std::fs::File::options().write(true).open(f).unwrap();
            file.set_modified(times).unwrap();
            format!("sneaky edit {}", f.display())
        }
        4 if !files.is_empty() => {
            let f = &files[rng.below(files.len())];
            std::fs::remove_file(f).unwrap();
            format!("delete {}", f.display())
        }
        5 if !files.is_empty() => {
            let f = &files[rng.below(files.len())];
            let to = repo.join(rng.pick(PATHS));
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::rename(f, &to).unwrap();
            format!("rename {} to {}", f.display(), to.display())
        }
        6 => {
            if rng.below(3) == 0 {
                let _ = std::fs::remove_file(repo.join(".shipshape.yaml"));
                "config removed".into()
            } else {
                let c = rng.pick(CONFIGS);
                write(repo, ".shipshape.yaml", c);
                format!("config {c:?}")
            }
        }
        7 => damage(rng, cache),
        8 => {
            // Another file's edit changes how this one is linted: the
            // kustomization makes `k8s/c.yaml` a patch, or stops doing so.
            let k = repo.join("k8s/kustomization.yaml");
            if k.exists() {
                std::fs::remove_file(k).unwrap();
                "kustomization removed".into()
            } else {
                write(repo, "k8s/kustomization.yaml", SNIPPETS[9]);
                "kustomization written".into()
            }
        }
        _ => "nothing".into(),
    }
}

/// Damages the cache file: truncated, a byte flipped, garbage, removed.
fn damage(rng: &mut Rng, cache: &Path) -> String {
    let Some(file) = std::fs::read_dir(cache).ok().and_then(|rd| {
        rd.flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "bin"))
    }) else {
        return "no cache to damage".into();
    };
    let mut bytes = std::fs::read(&file).unwrap();
    let what = match rng.below(4) {
        0 => {
            bytes.truncate(rng.below(bytes.len().max(1)));
            "truncated"
        }
        1 if !bytes.is_empty() => {
            let i = rng.below(bytes.len());
            bytes[i] ^= 1 << rng.below(8);
            "a bit flipped"
        }
        2 => {
            bytes = (0..bytes.len()).map(|_| rng.next() as u8).collect();
            "garbage"
        }
        _ => {
            std::fs::remove_file(&file).unwrap();
            return "cache removed".into();
        }
    };
    std::fs::write(&file, bytes).unwrap();
    format!("cache {what}")
}

fn run(repo: &Path, args: &[&str]) -> Output {
    shipshape()
        .current_dir(repo)
        .env_remove("SHIPSHAPE_CACHE_DIR")
        .arg("check")
        .args(args)
        .output()
        .expect("run")
}

/// Human output with its timing taken out of the summary line.
fn untimed(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    let re = regex::Regex::new(r" in \d+ ms").unwrap();
    re.replace_all(&text, "").into_owned()
}

/// Runs the same check with the cache and without; they must agree.
fn agree(repo: &Path, cache: &Path, args: &[&str], log: &[String]) -> usize {
    let dir = cache.to_str().unwrap();
    let mut cached_args = vec!["--cache-dir", dir, "--stats"];
    cached_args.extend_from_slice(args);
    let mut plain_args = vec!["--no-cache"];
    plain_args.extend_from_slice(args);
    let cached = run(repo, &cached_args);
    let plain = run(repo, &plain_args);
    let context = || format!("after:\n  {}\nargs {args:?}", log.join("\n  "));
    assert_eq!(cached.status.code(), plain.status.code(), "{}", context());
    assert_eq!(
        untimed(&cached.stdout),
        untimed(&plain.stdout),
        "{}",
        context()
    );
    let stderr = String::from_utf8_lossy(&cached.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}\n{}", context());
    // "cache: H of N files from the cache": the hits, to show the cache was used.
    let re = regex::Regex::new(r"cache: (\d+) of \d+ files").unwrap();
    re.captures(&stderr)
        .map_or(0, |c| c[1].parse().unwrap_or(0))
}

#[test]
fn random_edit_sequences_give_the_same_output_with_and_without_the_cache() {
    let seeds = 1..=6u64;
    let tmp = tempfile::tempdir().unwrap();
    for seed in seeds.clone() {
        let repo = tmp.path().join(format!("{seed}/repo"));
        std::fs::create_dir_all(&repo).unwrap();
        copy_dir(&fixture("pull-flask-app"), &repo);
        write(&repo, "k8s/c.yaml", SNIPPETS[8]);
        // Findings of the per-file pass, and a suppression, from the start.
        write(&repo, "k8s/a.yaml", SNIPPETS[0]);
        write(&repo, "apps/app.yaml", SNIPPETS[7]);
    }
    // Files untouched for longer than the cache's racy window are taken on
    // their metadata alone, unread: let the starting files age into that.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let mut hits = 0;
    for seed in seeds {
        let repo = tmp.path().join(format!("{seed}/repo"));
        let cache = tmp.path().join(format!("{seed}/cache"));
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut log = vec![format!("seed {seed}")];
        for _ in 0..18 {
            log.push(step(&mut rng, &repo, &cache));
            let format = rng.pick(&["json", "sarif", "human"]);
            hits += agree(&repo, &cache, &["--format", format, "."], &log);
            // A pre-commit run: one file reported, the rest context.
            let files = yaml_files(&repo);
            if !files.is_empty() {
                let f = &files[rng.below(files.len())];
                let rel = f.strip_prefix(&repo).unwrap().to_str().unwrap();
                hits += agree(&repo, &cache, &["--format", "json", rel], &log);
            }
        }
    }
    assert!(hits > 0, "the cache was never used");
}

#[test]
fn an_unwritable_cache_location_is_no_cache_and_no_failure() {
    let tmp = tempfile::tempdir().unwrap();
    // A file where the cache folder should be: nothing can be created there.
    let blocked = tmp.path().join("blocked");
    std::fs::write(&blocked, "not a folder").unwrap();
    let dir = fixture("pull-flask-app");
    let args = ["--cache-dir", blocked.to_str().unwrap(), "--stats", "."];
    let out = run(&dir, &args);
    let plain = run(&dir, &["--no-cache", "."]);
    assert_eq!(out.status.code(), plain.status.code());
    assert_eq!(untimed(&out.stdout), untimed(&plain.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not written: cannot create"), "{stderr}");
}

#[test]
fn the_cache_folder_ignores_itself_and_holds_one_file_per_scope() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    copy_dir(&fixture("pull-flask-app"), &repo);
    // The default place: `.shipshape_cache` in the working directory.
    let first = run(&repo, &["--stats", "."]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("0 of 6 files from the cache"), "{stderr}");
    let folder = repo.join(".shipshape_cache");
    let ignore = std::fs::read_to_string(folder.join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
    assert!(folder.join("CACHEDIR.TAG").exists());
    // A pre-commit run (one file named, the directory for context) shares it.
    let second = run(&repo, &["--stats", "workloads/flask/deployment.yaml"]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("6 of 6 files from the cache"), "{stderr}");
    let bins: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "bin"))
        .collect();
    assert_eq!(bins.len(), 1);
    // `SHIPSHAPE_CACHE_DIR` and the config's `cache-dir` move it.
    let env_dir = tmp.path().join("env-cache");
    let out = shipshape()
        .current_dir(&repo)
        .env("SHIPSHAPE_CACHE_DIR", &env_dir)
        .args(["check", "."])
        .output()
        .unwrap();
    assert!(out.status.code().is_some());
    assert!(env_dir.join(".gitignore").exists());
    write(&repo, ".shipshape.yaml", "cache-dir: build/lint-cache\n");
    run(&repo, &["."]);
    assert!(repo.join("build/lint-cache/.gitignore").exists());
}

#[test]
fn runs_at_once_leave_a_whole_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let cache = tmp.path().join("cache");
    std::fs::create_dir_all(&repo).unwrap();
    copy_dir(&fixture("pull-flask-app"), &repo);
    write(&repo, "k8s/a.yaml", SNIPPETS[0]);
    let expected = untimed(&run(&repo, &["--no-cache", "."]).stdout);
    for round in 0..3 {
        // Each round changes a file, so every run of it writes the cache.
        write(&repo, "k8s/b.yaml", SNIPPETS[round % 4]);
        let expected_now = untimed(&run(&repo, &["--no-cache", "."]).stdout);
        let children: Vec<_> = (0..6)
            .map(|_| {
                std::process::Command::new(env!("CARGO_BIN_EXE_shipshape"))
                    .current_dir(&repo)
                    .env("NO_COLOR", "1")
                    .args(["check", "--cache-dir", cache.to_str().unwrap(), "."])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert_eq!(untimed(&out.stdout), expected_now);
        }
        let after = run(
            &repo,
            &["--cache-dir", cache.to_str().unwrap(), "--stats", "."],
        );
        let stderr = String::from_utf8_lossy(&after.stderr);
        assert!(stderr.contains("8 of 8 files from the cache"), "{stderr}");
        assert_eq!(untimed(&after.stdout), expected_now);
    }
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!expected.is_empty());
}

#[cfg(unix)]
#[test]
fn a_repository_cannot_send_the_cache_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    copy_dir(&fixture("pull-flask-app"), &repo);
    let expected = untimed(&run(&repo, &["--no-cache", "."]).stdout);
    // The default folder committed as a link out of the repository.
    std::os::unix::fs::symlink(&elsewhere, repo.join(".shipshape_cache")).unwrap();
    let out = run(&repo, &["--stats", "."]);
    assert_eq!(untimed(&out.stdout), expected);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    // The config naming a place out of the repository: a config error.
    std::fs::remove_file(repo.join(".shipshape_cache")).unwrap();
    for bad in ["../elsewhere", "/tmp/x", "a/../../elsewhere"] {
        write(&repo, ".shipshape.yaml", &format!("cache-dir: {bad}\n"));
        let out = run(&repo, &["."]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("stays inside"), "{stderr}");
    }
    // A folder on the way that is a link: not used either.
    std::os::unix::fs::symlink(&elsewhere, repo.join("build")).unwrap();
    write(&repo, ".shipshape.yaml", "cache-dir: build/cache\n");
    let out = run(&repo, &["--stats", "."]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    // Links inside the cache folder are left alone, never written through.
    std::fs::remove_file(repo.join(".shipshape.yaml")).unwrap();
    let folder = repo.join(".shipshape_cache");
    std::fs::create_dir_all(&folder).unwrap();
    let target = elsewhere.join("written-through");
    std::os::unix::fs::symlink(&target, folder.join(".gitignore")).unwrap();
    let out = run(&repo, &["--stats", "."]);
    assert_eq!(untimed(&out.stdout), expected);
    assert!(!target.exists());
    // A cache file that is a link (to a device that never ends) is not read.
    std::fs::remove_dir_all(&folder).unwrap();
    run(&repo, &["."]);
    let bin = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "bin"))
        .unwrap();
    std::fs::remove_file(&bin).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &bin).unwrap();
    let out = run(&repo, &["--stats", "."]);
    assert_eq!(untimed(&out.stdout), expected);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a regular file"), "{stderr}");
    // A place the user names is theirs to choose, links and all.
    let named = tmp.path().join("named");
    std::os::unix::fs::symlink(&elsewhere, &named).unwrap();
    run(&repo, &["--cache-dir", named.to_str().unwrap(), "."]);
    assert!(elsewhere.join("CACHEDIR.TAG").exists());
}
