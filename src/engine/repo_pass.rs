//! The cross-file pass: the repository index built from every file's facts
//! (each file's repository and path in it, effective namespaces), then the
//! cross-file rules over it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::ThreadPool;

use super::policy_pass;
use crate::config::Config;
use crate::finding::FileId;
use crate::finding::Finding;
use crate::index::repos::RepoName;
use crate::index::{images, namespaces, FileFacts, RepoIndex};
use crate::policy::PolicySet;
use crate::rules::policy::DeferredObject;
use crate::rules::{RepoCx, Rule};
use crate::source::file::FileEntry;
use crate::source::roots::{CanonicalDirs, RepoRoots};
use crate::source::walk::canonical_under;

/// Builds the index: every file's repository and repository-relative path,
/// then each object's effective namespace.
pub(super) fn index(
    facts: FileFacts,
    files: &[FileEntry],
    opts_paths: &[PathBuf],
    cwd: &Path,
    walked: &[(PathBuf, PathBuf)],
    markers: HashSet<PathBuf>,
) -> RepoIndex {
    let mut index = RepoIndex {
        objects: facts.objects,
        kustomizations: facts.kustomizations,
        workflows: facts.workflows,
        built: facts.built,
        azd: facts.azd,
        helm_files: facts.helm,
        ..RepoIndex::default()
    };
    let mut roots = RepoRoots::new(opts_paths, cwd, walked, markers);
    let mut canon = CanonicalDirs::default();
    for f in files {
        // A walked file's canonical path is its walked root's plus the rest:
        // the walk follows no links. Named files are resolved on disk.
        let under_walk = (!f.explicit)
            .then(|| canonical_under(walked, &f.fs_path))
            .flatten();
        let abs = under_walk.unwrap_or_else(|| canon.file(&f.fs_path, cwd));
        let (repo, root) = roots.of(&abs);
        let rel = abs
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| f.path.clone());
        index.paths.push(rel);
        index.repos.push(repo);
    }
    index.repo_names = roots.roots().iter().map(|r| RepoName::of(r)).collect();
    index.seal_paths();
    crate::index::azure_templates::include(&mut index);
    namespaces::resolve(&mut index);
    index.effective = images::resolve(&index);
    index
}

/// The run's policies, the objects left for this pass, the run's pool.
pub(super) type Policies<'a> = (
    &'a PolicySet,
    Vec<(FileId, DeferredObject)>,
    Option<&'a ThreadPool>,
);

/// Runs the cross-file rules over the index, and the policies left for it
/// (those that read the effective namespace of an object; `policy_pass`).
pub(super) fn check(
    index: &RepoIndex,
    (cfg, files, patches): (&Config, &[FileEntry], &[bool]),
    (active, (set, deferred, pool)): (&[&'static dyn Rule], Policies),
    findings: &mut Vec<Finding>,
) {
    let run = policy_pass::Repository {
        files,
        index,
        cfg,
        set,
        patches,
    };
    policy_pass::run(&run, deferred, pool, findings);
    let mut withdrawn = Vec::new();
    for rule in active {
        let mut cx = RepoCx {
            config: cfg,
            findings,
            withdrawn: &mut withdrawn,
        };
        rule.check_repo(index, &mut cx);
    }
    if !withdrawn.is_empty() {
        let withdrawn: HashSet<(&str, crate::finding::Location)> = withdrawn.into_iter().collect();
        findings.retain(|f| !withdrawn.contains(&(f.rule, f.primary)));
    }
}
