//! Which files a directory renders: `resources:` chains followed through
//! nested kustomizations, within one repository.

use std::collections::{HashMap, HashSet, VecDeque};

use super::RepoIndex;
use crate::finding::FileId;
use crate::source::path::{dir_of, join_norm};
use crate::yaml::Spanned;

/// Files a directory renders, following `resources:` chains through nested
/// kustomizations, within one repository.
pub struct Renders<'a> {
    index: &'a RepoIndex,
    by_dir: HashMap<(u32, &'a str), Vec<usize>>,
}

impl<'a> Renders<'a> {
    pub fn new(index: &'a RepoIndex) -> Self {
        let mut by_dir: HashMap<(u32, &str), Vec<usize>> = HashMap::new();
        for (i, k) in index.kustomizations.iter().enumerate() {
            let key = (index.repo(k.file), dir_of(&index.paths[k.file as usize]));
            by_dir.entry(key).or_default().push(i);
        }
        Renders { index, by_dir }
    }

    /// Files rendered from directory `dir` of repository `repo`: through its
    /// kustomization when it has one, else every file under it. Each with the
    /// outermost kustomize namespace along the chain (and where it was set).
    pub fn from_dir(&self, repo: u32, dir: &str) -> Vec<(FileId, Option<(FileId, Spanned)>)> {
        let dir = dir.trim_start_matches("./").trim_matches('/');
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut queue: VecDeque<(String, Option<(FileId, Spanned)>)> = VecDeque::new();
        queue.push_back((join_norm("", dir), None));
        while let Some((d, ns)) = queue.pop_front() {
            if !seen.insert(d.clone()) {
                continue;
            }
            match self.by_dir.get(&(repo, d.as_str())) {
                Some(ks) => {
                    for &ki in ks {
                        let k = &self.index.kustomizations[ki];
                        let ns = ns
                            .clone()
                            .or_else(|| k.namespace.clone().map(|s| (k.file, s)));
                        for r in &k.resources {
                            let target = join_norm(&d, r);
                            match self.index.file_at(repo, &target) {
                                Some(f) => out.push((f, ns.clone())),
                                None => queue.push_back((target, ns.clone())),
                            }
                        }
                    }
                }
                None => {
                    for &f in self.index.files_under(repo, &d) {
                        out.push((f, ns.clone()));
                    }
                }
            }
        }
        out.sort_by_key(|(f, _)| *f);
        out.dedup_by_key(|(f, _)| *f);
        out
    }
}
