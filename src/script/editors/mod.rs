//! In-place editors of files, the candidate manifest tag updates: `sed`,
//! `perl` and `awk` with the parsing of substitutions (in `sed`), `yq` and
//! `kustomize edit set image` (in `yq`), and the helpers they share.

use crate::script::args::{is_stream, path_ref};
use crate::script::shell::{Command, Word};
use crate::script::PathRef;

mod sed;
mod yq;

pub(super) use sed::{awk, perl, sed, substitution_image};
#[cfg(test)]
pub(super) use sed::{sed_images, sed_substitutions};
pub(super) use yq::{kustomize, yq};
#[cfg(test)]
pub(super) use yq::{yq_images, yq_rhs};

fn files_of(cmd: &Command, words: &[&Word]) -> Vec<PathRef> {
    let cwd = cmd.cwd.as_deref();
    words
        .iter()
        .filter(|w| !is_stream(&w.text))
        .map(|w| path_ref(&w.text, w.range.clone(), cwd))
        .collect()
}

pub(super) fn push_unique(out: &mut Vec<String>, v: String) {
    if !v.is_empty() && !out.contains(&v) {
        out.push(v);
    }
}

pub(super) fn trim_value(v: &str) -> String {
    v.trim().trim_matches(['"', '\'']).trim().to_string()
}
