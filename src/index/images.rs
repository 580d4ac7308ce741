//! Effective images: what each object's images become in the renderings
//! that deploy its file, through Kustomize `images:` overrides of overlay
//! chains and components, and an Argo CD Application's or Flux
//! Kustomization's own image overrides.
//!
//! Images a tool builds at deploy time (Skaffold artifacts) are
//! placeholders as written.
//!
//! A rendering is a root (a kustomization nothing includes, or an operator's
//! source path) and the chain of kustomizations from it down to the file. A
//! file no rendering reaches stands alone: its images are as written.

use std::collections::{HashMap, HashSet};

use super::sources::{Source, Sources};
use super::RepoIndex;
use crate::finding::FileId;
use crate::model::image::RepoName;
use crate::model::kustomize::ImageOverride;
use crate::source::path::{dir_of, join_norm};
use crate::yaml::Span;

/// Where a part of an effective image was set: an override's node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SetAt {
    pub file: FileId,
    pub span: Span,
}

/// One image of one object in one rendering, where an override changed it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EffectiveImage {
    /// Index in `RepoIndex::objects`.
    pub object: u32,
    /// Index in that object's `images`.
    pub image: u16,
    /// The reference the cluster pulls.
    pub text: String,
    /// The override that set the name (`newName`), if one did.
    pub name_from: Option<SetAt>,
    /// The override that set the tag or digest, if one did.
    pub pin_from: Option<SetAt>,
    /// The root of the rendering.
    pub via: Via,
}

/// The root of a rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Via {
    /// A kustomization file that nothing includes (applied as it is).
    Kustomization(FileId),
    /// An operator object (index in `RepoIndex::objects`) syncing a path.
    Operator(u32),
    /// An `azd` service (index in `RepoIndex::azd`) deploying a kustomization.
    Azd(u32),
}

/// The effective images of a repository.
#[derive(Debug, Default)]
pub struct Effective {
    /// Images an override changed, in object and image order.
    pub changed: Vec<EffectiveImage>,
    /// Written images (file, span) whose name every rendering replaces.
    pub name_replaced: Vec<(FileId, Span)>,
    /// Written images whose tag and digest every rendering replaces.
    pub pin_replaced: Vec<(FileId, Span)>,
}

/// How deep kustomizations may nest, and how many (file, chain) pairs a
/// repository may produce: a bound for pathological inputs (a cycle is
/// cut at once; a wide diamond of overlays is what this bounds).
const MAX_DEPTH: usize = 64;
/// Directory visits and recorded renderings from one root, and of a whole
/// run: a pathological root cannot starve the others.
const MAX_ROOT_STEPS: usize = 20_000;
const MAX_STEPS: usize = 1_000_000;
/// Renderings kept per file from one root, and from all: enough for any
/// real set of overlays.
const MAX_PER_ROOT: usize = 64;
const MAX_PER_FILE: usize = 1024;

/// A rendering of a file: kustomizations outermost first, and the operator
/// object (with the index of its source) whose overrides come last.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Rendering {
    chain: Vec<u32>,
    operator: Option<(u32, u16)>,
    /// An `azd` service (index in `RepoIndex::azd`) whose edits come last.
    azd: Option<u32>,
}

struct Walker<'a> {
    index: &'a RepoIndex,
    kdirs: HashMap<(u32, &'a str), Vec<u32>>,
    out: HashMap<FileId, Vec<Rendering>>,
    count: usize,
    /// `count` when the current root started.
    root_start: usize,
    /// Renderings of each file recorded from the current root.
    from_root: HashMap<FileId, usize>,
}

/// Computes the effective images of every object that a rendering changes.
pub fn resolve(index: &RepoIndex) -> Effective {
    let mut w = Walker::new(index);
    let substituted = substituted_by_workflows(index);
    let any = has_operator_overrides(index) || !substituted.is_empty() || !index.azd.is_empty();
    if !w.kdirs.is_empty() || any {
        w.roots();
    }
    let mut eff = judge(index, &w.kdirs, &w.out);
    built_at_deploy(index, &mut eff);
    for (file, span) in substituted {
        // Only where nothing else deploys the file as written.
        if !w.out.contains_key(&file) {
            eff.pin_replaced.push((file, span));
        }
    }
    eff
}

/// Images of manifests that a deploy step (`azure/k8s-deploy` `images:`,
/// `KubernetesManifest` `containers:`) deploys and whose tag it replaces:
/// (file, span of the written image). The entry itself is judged where
/// the workflow writes it.
///
/// The tasks replace an `image:` whose name equals the entry's, as text.
/// An entry whose registry is known only at run time (`$(RegistryName)/web`)
/// replaces a manifest image of the same repository path that writes a
/// registry it can become (`RepoName::matches`, as `workflow-image-mismatch`
/// compares them); a placeholder in the repository path matches nothing.
/// The name pulled stays the manifest's, registry included: only the tag
/// or digest is replaced, so `untrusted-registry` still judges it as written.
fn substituted_by_workflows(index: &RepoIndex) -> Vec<(FileId, Span)> {
    let mut files: HashMap<FileId, Vec<Entry>> = HashMap::new();
    for wf in &index.workflows {
        for d in wf.deploys.iter().filter(|d| !d.images.is_empty()) {
            let entries: Vec<Entry> = d.images.iter().map(|i| Entry::of(&i.value)).collect();
            let repo = index.repo(wf.file);
            for p in &d.paths {
                let p = p.trim_start_matches("./").trim_end_matches('/');
                let under = match p {
                    "" => &[][..],
                    p => index.files_under(repo, p),
                };
                let under = under.iter().copied();
                for f in index.file_at(repo, p).into_iter().chain(under) {
                    files.entry(f).or_default().extend(entries.iter().cloned());
                }
            }
        }
    }
    let mut out = Vec::new();
    if files.is_empty() {
        return out;
    }
    for o in &index.objects {
        let Some(entries) = files.get(&o.file) else {
            continue;
        };
        for img in &o.images {
            if entries.iter().any(|e| e.replaces(&img.value)) {
                out.push((o.file, img.span));
            }
        }
    }
    out
}

/// A deploy step's image entry, as it is compared with manifest images.
#[derive(Debug, Clone)]
struct Entry<'a> {
    /// The name as written (without tag or digest).
    name: &'a str,
    /// The repository, when its registry is known only at run time.
    run_time: Option<RepoName>,
}

impl<'a> Entry<'a> {
    fn of(value: &'a str) -> Entry<'a> {
        let run_time = RepoName::of(value).filter(RepoName::run_time);
        Entry {
            name: crate::model::kustomize::split(value).0,
            run_time,
        }
    }

    /// Whether the step replaces the tag of this written image.
    fn replaces(&self, written: &str) -> bool {
        let name = crate::model::kustomize::split(written).0;
        if name == self.name {
            return true;
        }
        let Some(entry) = &self.run_time else {
            return false;
        };
        RepoName::of(written).is_some_and(|w| !w.run_time() && entry.matches(&w).is_some())
    }
}

/// Images a tool builds and substitutes at deploy time (a Skaffold
/// artifact of the same repository, by name): their name and tag as
/// written are placeholders.
fn built_at_deploy(index: &RepoIndex, eff: &mut Effective) {
    if index.built.is_empty() {
        return;
    }
    let built: HashSet<(u32, &str)> = index
        .built
        .iter()
        .map(|(f, name)| (index.repo(*f), name.as_str()))
        .collect();
    for o in &index.objects {
        let repo = index.repo(o.file);
        for img in &o.images {
            let (name, _, _) = crate::model::kustomize::split(&img.value);
            if built.contains(&(repo, name)) {
                eff.name_replaced.push((o.file, img.span));
                eff.pin_replaced.push((o.file, img.span));
            }
        }
    }
}

fn has_operator_overrides(index: &RepoIndex) -> bool {
    index
        .objects
        .iter()
        .any(|o| !o.extra().image_overrides.is_empty())
}

impl EffectiveImage {
    /// How the finding on it names where it comes from: `in Deployment
    /// `web`, as `overlays/prod` renders it`.
    pub fn context(&self, index: &RepoIndex) -> String {
        let name = |o: &super::ObjectFacts| {
            format!(
                "{} `{}`",
                o.kind,
                o.name.as_ref().map_or("?", |n| n.value.as_str())
            )
        };
        let object = name(&index.objects[self.object as usize]);
        let via = match self.via {
            Via::Kustomization(f) => {
                let dir = dir_of(&index.paths[f as usize]);
                format!("`{}`", if dir.is_empty() { "." } else { dir })
            }
            Via::Operator(o) => name(&index.objects[o as usize]),
            Via::Azd(a) => format!("the azd service `{}`", index.azd[a as usize].1.name),
        };
        format!("in {object}, as {via} renders it")
    }
}

impl<'a> Walker<'a> {
    fn new(index: &'a RepoIndex) -> Self {
        let mut kdirs: HashMap<(u32, &str), Vec<u32>> = HashMap::new();
        for (i, k) in index.kustomizations.iter().enumerate() {
            let key = (index.repo(k.file), dir_of(&index.paths[k.file as usize]));
            kdirs.entry(key).or_default().push(i as u32);
        }
        Walker {
            index,
            kdirs,
            out: HashMap::new(),
            count: 0,
            root_start: 0,
            from_root: HashMap::new(),
        }
    }

    /// Every root: operator source paths first, then the kustomizations that
    /// nothing includes and no operator points at.
    fn roots(&mut self) {
        let index = self.index;
        let mut targeted: HashSet<(u32, String)> = HashSet::new();
        let sources = Sources::new(index);
        for (oi, o) in index.objects.iter().enumerate() {
            for (si, source) in sources.of(o).into_iter().enumerate() {
                let Source::Dir {
                    repo,
                    dir,
                    chart: false,
                } = source
                else {
                    continue;
                };
                let dir = join_norm("", dir.trim_start_matches("./").trim_matches('/'));
                let start = Rendering {
                    chain: Vec::new(),
                    operator: Some((oi as u32, si as u16)),
                    azd: None,
                };
                self.start_root();
                self.visit(repo, &dir, start, &mut Vec::new());
                targeted.insert((repo, dir));
            }
        }
        for (ai, (file, svc)) in index.azd.iter().enumerate() {
            let repo = index.repo(*file);
            let dir = join_norm(dir_of(&index.paths[*file as usize]), &svc.dir);
            let start = Rendering {
                chain: Vec::new(),
                operator: None,
                azd: Some(ai as u32),
            };
            self.start_root();
            self.visit(repo, &dir, start, &mut Vec::new());
            targeted.insert((repo, dir));
        }
        let mut included: HashSet<(u32, String)> = HashSet::new();
        for k in &index.kustomizations {
            let repo = index.repo(k.file);
            let d = dir_of(&index.paths[k.file as usize]);
            for r in &k.resources {
                included.insert((repo, join_norm(d, r)));
            }
        }
        for k in &index.kustomizations {
            let repo = index.repo(k.file);
            let d = dir_of(&index.paths[k.file as usize]);
            let key = (repo, d.to_string());
            if included.contains(&key) || targeted.contains(&key) {
                continue;
            }
            let start = Rendering {
                chain: Vec::new(),
                operator: None,
                azd: None,
            };
            self.start_root();
            self.visit(repo, d, start, &mut Vec::new());
        }
    }

    /// Renders directory `dir`: through its kustomization when it has one,
    /// else every file under it (a sub-directory with a kustomization
    /// through that one, as Flux generates it).
    fn visit(&mut self, repo: u32, dir: &str, at: Rendering, stack: &mut Vec<String>) {
        if stack.len() >= MAX_DEPTH
            || stack.iter().any(|d| d == dir)
            || self.count >= MAX_STEPS
            || self.count - self.root_start >= MAX_ROOT_STEPS
        {
            return;
        }
        self.count += 1;
        stack.push(dir.to_string());
        match self.kdirs.get(&(repo, dir)).cloned() {
            Some(ks) => {
                for ki in ks {
                    let k = &self.index.kustomizations[ki as usize];
                    let mut next = at.clone();
                    next.chain.push(ki);
                    for r in &k.resources {
                        let target = join_norm(dir, r);
                        match self.index.file_at(repo, &target) {
                            Some(f) => self.record(f, next.clone()),
                            None => self.visit(repo, &target, next.clone(), stack),
                        }
                    }
                }
            }
            None => self.visit_plain(repo, dir, at, stack),
        }
        stack.pop();
    }

    fn visit_plain(&mut self, repo: u32, dir: &str, at: Rendering, stack: &mut Vec<String>) {
        let index = self.index;
        let mut subdirs: Vec<&str> = Vec::new();
        for &f in index.files_under(repo, dir) {
            match self.kustomized_ancestor(repo, dir, dir_of(&index.paths[f as usize])) {
                Some(k) => subdirs.push(k),
                None => self.record(f, at.clone()),
            }
        }
        subdirs.sort_unstable();
        subdirs.dedup();
        for d in subdirs {
            self.visit(repo, d, at.clone(), stack);
        }
    }

    /// The outermost directory strictly below `top` and at or above `dir`
    /// that holds a kustomization.
    fn kustomized_ancestor<'p>(&self, repo: u32, top: &str, dir: &'p str) -> Option<&'p str> {
        let mut found = None;
        let mut d = dir;
        while d.len() > top.len() {
            if self.kdirs.contains_key(&(repo, d)) {
                found = Some(d);
            }
            d = dir_of(d);
        }
        found
    }

    fn start_root(&mut self) {
        self.root_start = self.count;
        self.from_root.clear();
    }

    fn record(&mut self, file: FileId, r: Rendering) {
        self.count += 1;
        let n = self.from_root.entry(file).or_default();
        let v = self.out.entry(file).or_default();
        if *n < MAX_PER_ROOT && v.len() < MAX_PER_FILE && !v.contains(&r) {
            *n += 1;
            v.push(r);
        }
    }
}

/// The overrides a rendering applies, innermost kustomization first (each
/// one's components before its own `images:`), then the operator's.
fn overrides<'a>(
    index: &'a RepoIndex,
    kdirs: &HashMap<(u32, &str), Vec<u32>>,
    r: &Rendering,
) -> Vec<(FileId, &'a ImageOverride)> {
    let mut out = Vec::new();
    for &ki in r.chain.iter().rev() {
        let k = &index.kustomizations[ki as usize];
        let repo = index.repo(k.file);
        let d = dir_of(&index.paths[k.file as usize]);
        for c in k.components() {
            let cdir = join_norm(d, c);
            for &ci in kdirs.get(&(repo, cdir.as_str())).into_iter().flatten() {
                let ck = &index.kustomizations[ci as usize];
                out.extend(ck.images.iter().map(|o| (ck.file, o)));
            }
        }
        out.extend(k.images.iter().map(|o| (k.file, o)));
    }
    if let Some((file, svc)) = r.azd.and_then(|a| index.azd.get(a as usize)) {
        out.extend(svc.edits.iter().map(|o| (*file, o)));
    }
    if let Some((oi, si)) = r.operator {
        let o = &index.objects[oi as usize];
        // Flux builds a kustomization for any path; Argo CD uses Kustomize
        // (and its images) only where the path holds a kustomization.
        let flux = o.group().starts_with("kustomize.toolkit.fluxcd.io");
        let applies = flux || !r.chain.is_empty();
        if applies {
            out.extend(
                o.extra()
                    .image_overrides
                    .iter()
                    .filter(|(i, _)| *i == si)
                    .map(|(_, ov)| (o.file, ov)),
            );
        }
    }
    out
}

/// Each rendering's root and the overrides it applies.
type Applied<'a> = Vec<(Via, Vec<(FileId, &'a ImageOverride)>)>;

/// Applies each rendering to each image of the objects it renders.
fn judge(
    index: &RepoIndex,
    kdirs: &HashMap<(u32, &str), Vec<u32>>,
    rendered: &HashMap<FileId, Vec<Rendering>>,
) -> Effective {
    let mut eff = Effective::default();
    let mut seen: HashSet<EffectiveImage> = HashSet::new();
    // The overrides of a file's renderings, kept while its objects follow.
    let mut cached: Option<(FileId, Applied)> = None;
    for (oi, o) in index.objects.iter().enumerate() {
        if o.images.is_empty() {
            continue;
        }
        let Some(renderings) = rendered.get(&o.file) else {
            continue;
        };
        if cached.as_ref().is_none_or(|(f, _)| *f != o.file) {
            let applied = renderings
                .iter()
                .map(|r| (root_of(index, r), overrides(index, kdirs, r)))
                .collect();
            cached = Some((o.file, applied));
        }
        let Some((_, applied)) = &cached else {
            continue;
        };
        for (ii, written) in o.images.iter().enumerate() {
            let (mut all_renamed, mut all_repinned) = (true, true);
            for (via, ovs) in applied {
                let e = apply_all(&written.value, ovs);
                all_renamed &= e.1.is_some();
                all_repinned &= e.2.is_some();
                if e.1.is_none() && e.2.is_none() {
                    continue;
                }
                let img = EffectiveImage {
                    object: oi as u32,
                    image: ii as u16,
                    text: e.0,
                    name_from: e.1,
                    pin_from: e.2,
                    via: *via,
                };
                if seen.insert(img.clone()) {
                    eff.changed.push(img);
                }
            }
            let key = (o.file, written.span);
            if all_renamed {
                eff.name_replaced.push(key);
            }
            if all_repinned {
                eff.pin_replaced.push(key);
            }
        }
    }
    eff
}

/// The image after every override in order, with where its name and its
/// tag or digest were last set.
fn apply_all(
    written: &str,
    ovs: &[(FileId, &ImageOverride)],
) -> (String, Option<SetAt>, Option<SetAt>) {
    let mut text = written.to_string();
    let (mut name_from, mut pin_from) = (None, None);
    for (file, o) in ovs {
        let Some(a) = o.apply(&text) else { continue };
        text = a.image;
        if a.renamed {
            name_from = o.new_name.as_ref().map(|n| SetAt {
                file: *file,
                span: n.span,
            });
        }
        if a.repinned {
            let node = o.digest.as_ref().or(o.new_tag.as_ref());
            pin_from = node.map(|n| SetAt {
                file: *file,
                span: n.span,
            });
        }
    }
    (text, name_from, pin_from)
}

fn root_of(index: &RepoIndex, r: &Rendering) -> Via {
    if let Some(a) = r.azd {
        return Via::Azd(a);
    }
    match (r.operator, r.chain.first()) {
        (Some((oi, _)), _) => Via::Operator(oi),
        (None, Some(&ki)) => Via::Kustomization(index.kustomizations[ki as usize].file),
        // A kustomization root always starts its chain with itself.
        (None, None) => Via::Kustomization(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::workflow::{DeployFact, WorkflowFacts};
    use crate::index::ObjectFacts;
    use crate::yaml::Spanned;

    /// A pipeline (file 0) whose deploy step substitutes `entries` in
    /// `manifests/deployment.yaml` (file 1), which runs `images`.
    fn index(entries: &[&str], images: &[&str]) -> RepoIndex {
        let at = |i: usize| Span::new(i, i + 1);
        let deploy = DeployFact {
            pos: Default::default(),
            via: "KubernetesManifest@1".into(),
            paths: vec!["manifests/deployment.yaml".into()],
            namespace: None,
            span: at(0),
            images: entries.iter().map(|e| Spanned::new(*e, at(0))).collect(),
            set_images: Vec::new(),
            pull_secrets: Vec::new(),
        };
        let object = ObjectFacts {
            file: 1,
            kind: "Deployment".into(),
            has_pod: true,
            images: images
                .iter()
                .enumerate()
                .map(|(i, v)| Spanned::new(*v, at(i)))
                .collect(),
            ..ObjectFacts::default()
        };
        let mut index = RepoIndex {
            paths: vec![
                "azure-pipelines.yml".into(),
                "manifests/deployment.yaml".into(),
            ],
            repos: vec![0, 0],
            objects: vec![object],
            workflows: vec![WorkflowFacts {
                file: 0,
                deploys: vec![deploy],
                ..WorkflowFacts::default()
            }],
            ..RepoIndex::default()
        };
        index.seal_paths();
        index
    }

    /// The indexes of the manifest images whose tag the step replaces.
    fn replaced(entries: &[&str], images: &[&str]) -> Vec<u32> {
        let eff = resolve(&index(entries, images));
        assert!(
            eff.name_replaced.is_empty(),
            "the name pulled stays the manifest's"
        );
        eff.pin_replaced.iter().map(|(_, s)| s.start).collect()
    }

    #[test]
    fn entries_replace_images_of_the_same_name() {
        let images = ["contoso.azurecr.io/web", "contoso.azurecr.io/api:1"];
        assert_eq!(replaced(&["contoso.azurecr.io/web:2"], &images), vec![0]);
        assert_eq!(
            replaced(&["contoso.azurecr.io/cart:2"], &images),
            Vec::<u32>::new()
        );
        // The tasks compare names as text.
        assert_eq!(
            replaced(&["docker.io/library/web:2"], &["web"]),
            Vec::<u32>::new()
        );
    }

    /// MicrosoftDocs/mslearn-tailspin-spacegame-web-kubernetes: the registry
    /// comes from a variable group, the manifest writes the ACR host.
    #[test]
    fn a_run_time_registry_replaces_by_repository_path() {
        let images = [
            "tailspinspacegame22395.azurecr.io/web",
            "tailspinspacegame22395.azurecr.io/leaderboard",
            "tailspinspacegame22395.azurecr.io/cart",
        ];
        let entries = [
            "$(RegistryName)/web:$(Build.BuildId)",
            "$(RegistryName)/leaderboard:$(Build.BuildId)",
        ];
        assert_eq!(replaced(&entries, &images), vec![0, 1]);
        let acr = ["$(acrName).azurecr.io/web:$(tag)"];
        assert_eq!(replaced(&acr, &images), vec![0]);
        assert_eq!(replaced(&acr, &["ghcr.io/web"]), Vec::<u32>::new());
    }

    #[test]
    fn a_placeholder_never_stands_for_what_the_task_cannot_match() {
        // A placeholder repository could be any image: it replaces none.
        let any = ["$(RegistryName)/$(repository):$(tag)", "${{ env.IMAGE }}"];
        assert_eq!(
            replaced(&any, &["contoso.azurecr.io/web", "web"]),
            Vec::<u32>::new()
        );
        // `<registry>/web` is never Docker Hub's `web` nor `team/web`.
        let entry = ["$(RegistryName)/web:$(tag)"];
        assert_eq!(replaced(&entry, &["web", "team/web"]), Vec::<u32>::new());
    }
}
