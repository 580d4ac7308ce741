//! `partialFingerprints["shipshapeFingerprint/v1"]`: what makes a result the
//! same result from one commit to the next, so code scanning keeps one alert
//! for it while unrelated lines come and go.
//!
//! It hashes the rule id, the file's path, the text of the finding's node
//! (each line trimmed, so re-indenting does not matter; the node's line when
//! the node is empty), the Kubernetes object concerned (kind, name,
//! namespace), and the occurrence: how many earlier results of the file had
//! all of these the same. Line and column numbers, messages and help texts
//! are left out: they move or get reworded without the finding changing.
//! The text is the redacted source every output shows, so no secret value
//! feeds the hash. The hash is FNV-1a on 128 bits, written out here so it is
//! the same on every platform and Rust version; it only needs to tell a
//! repository's results apart, not to resist an adversary. Changing any of
//! this changes every fingerprint: do it under a new key (`/v2`).

use std::collections::HashMap;

use crate::finding::{FileId, Finding};

pub const KEY: &str = "shipshapeFingerprint/v1";

const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

/// FNV-1a over length-prefixed fields (so `("ab", "c")` and `("a", "bc")`
/// differ).
#[derive(Clone, Copy)]
struct Fnv(u128);

impl Fnv {
    fn new() -> Self {
        Fnv(OFFSET)
    }
    fn bytes(mut self, bytes: &[u8]) -> Self {
        for &b in bytes {
            self.0 ^= u128::from(b);
            self.0 = self.0.wrapping_mul(PRIME);
        }
        self
    }
    fn field(self, text: &str) -> Self {
        self.bytes(&(text.len() as u64).to_le_bytes())
            .bytes(text.as_bytes())
    }
}

/// The identity of a result before its occurrence is known.
pub fn identity(f: &Finding, path: &str, node: &str) -> u128 {
    let mut h = Fnv::new().field(f.rule).field(path);
    // The node's text, each line trimmed.
    let mut lines = 0u64;
    for line in node.lines() {
        h = h.field(line.trim());
        lines += 1;
    }
    h = h.bytes(&lines.to_le_bytes());
    match &f.object {
        Some(o) => {
            let opt = |s: &Option<String>| s.as_deref().map_or(String::new(), |s| format!("={s}"));
            h.field(&o.kind)
                .field(&opt(&o.name))
                .field(&opt(&o.namespace))
                .0
        }
        None => h.field("").0,
    }
}

/// Counts identities within one file, in output order.
#[derive(Default)]
pub struct Occurrences {
    file: Option<FileId>,
    seen: HashMap<u128, u32>,
}

impl Occurrences {
    /// The fingerprint of the next result of `file` with this identity.
    pub fn fingerprint(&mut self, file: FileId, identity: u128) -> String {
        if self.file != Some(file) {
            self.seen.clear();
            self.file = Some(file);
        }
        let n = self.seen.entry(identity).or_insert(0);
        let occurrence = *n;
        *n += 1;
        let h = Fnv::new()
            .bytes(&identity.to_le_bytes())
            .bytes(&occurrence.to_le_bytes());
        format!("{:032x}", h.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Location, RuleMeta, Severity};
    use crate::yaml::Span;

    const META: RuleMeta = RuleMeta {
        id: "unpinned-image",
        default_severity: Severity::Error,
        category: "image",
        summary: "",
        doc: "",
        always_on: false,
    };

    fn finding(at: usize) -> Finding {
        let loc = Location {
            file: 0,
            span: Span::new(at, at + 5),
        };
        Finding::new(&META, loc, "message")
    }

    #[test]
    fn fnv_matches_the_reference_values() {
        // FNV-1a 128 of "" and "a" (the published test vectors).
        assert_eq!(Fnv::new().0, 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(Fnv::new().bytes(b"a").0, 0xd228cb696f1a8caf78912b704e4a8964);
    }

    #[test]
    fn identity_ignores_position_and_indentation_not_text() {
        let a = identity(&finding(10), "k8s/a.yaml", "redis");
        assert_eq!(a, identity(&finding(500), "k8s/a.yaml", "redis"));
        assert_eq!(
            identity(&finding(0), "p", "  a:\n    b"),
            identity(&finding(0), "p", "a:\n b")
        );
        assert_ne!(a, identity(&finding(10), "k8s/a.yaml", "redis:7"));
        assert_ne!(a, identity(&finding(10), "k8s/b.yaml", "redis"));
        assert_ne!(
            identity(&finding(0), "p", "ab c"),
            identity(&finding(0), "p", "ab\nc")
        );
    }

    #[test]
    fn occurrences_count_per_file() {
        let mut occ = Occurrences::default();
        let first = occ.fingerprint(0, 7);
        let second = occ.fingerprint(0, 7);
        assert_ne!(first, second);
        assert_eq!(
            occ.fingerprint(1, 7),
            first,
            "counting restarts in a new file"
        );
        assert_eq!(first.len(), 32);
    }
}
