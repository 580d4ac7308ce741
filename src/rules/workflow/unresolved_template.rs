use crate::finding::{Finding, Location, RuleMeta};
use crate::index::RepoIndex;
use crate::rules::{RepoCx, Rule};

crate::declare_rule! {
    /// # unresolved-template
    ///
    /// An Azure Pipelines `template:` reference (step, job, stage,
    /// variable or `extends:`) that shipshape does not follow: the template
    /// is in another repository (`path@alias` of `resources.repositories`),
    /// its path is a template expression known only at run time, or no
    /// such file is in the linted repository. What that template does
    /// (pushing images, committing manifests, reaching the cluster) is not
    /// judged, so a pipeline's mode and its guardrails may miss it.
    ///
    /// A path starting with `/` is read from the repository's root, any
    /// other from the including file's folder, as Azure Pipelines does;
    /// `@self` is this repository.
    ///
    /// ## Why
    /// A guardrail that cannot see part of a pipeline should say so rather
    /// than pass it in silence. Linting the templates' repository with this
    /// one (both paths on the command line) lets shipshape follow local
    /// references there; references across repositories stay unfollowed.
    ///
    /// ## Example
    /// Reported (an info):
    /// ```yaml
    /// resources:
    ///   repositories:
    ///     - repository: shared
    ///       type: git
    ///       name: contoso/pipeline-templates
    /// steps:
    ///   - template: steps/notify.yml@shared
    /// ```
    /// Not reported: `- template: /.azure-pipelines/steps/bump.yml`, a file
    /// of the linted repository.
    ///
    /// ## Options
    /// `rules: {unresolved-template: off}` silences it.
    pub struct UnresolvedTemplate {
        id: "unresolved-template",
        severity: Info,
        category: "workflow",
        summary: "an Azure Pipelines template reference that is not followed",
    }
}

impl Rule for UnresolvedTemplate {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_repo(&self, index: &RepoIndex, cx: &mut RepoCx) {
        for u in &index.unresolved_templates {
            let at = Location {
                file: u.file,
                span: u.span,
            };
            cx.findings.push(
                Finding::new(
                    &Self::META,
                    at,
                    format!("template `{}` is not followed: {}", u.path, u.why),
                )
                .help("what it does is not judged; lint its repository alongside this one to follow local references there"),
            );
        }
    }
}
