//! How a file's findings and facts are written to the results cache
//! (`engine/cache`), as serde `with` helpers:
//!
//! - **file ids** are the run's index of a file, and change from run to run
//!   as files come and go. Everything one file's pass produces names that
//!   file only, so an id is written as nothing and read back as the id the
//!   file has in the run reading it ([`as_file`]). Writing an id that is
//!   not the file's own fails, and the result is simply not cached;
//! - **rule ids** are `&'static str`: read back by looking the name up in
//!   the rules the binary has ([`set_rule_ids`]); an unknown name fails;
//! - **shared text** is written as text.
//!
//! Failing is always safe: an entry that cannot be written or read is a
//! cache miss, and the file is linted again.

use std::cell::Cell;
use std::sync::{Arc, OnceLock};

use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{FileId, Text};

thread_local! {
    static OWN_FILE: Cell<Option<FileId>> = const { Cell::new(None) };
}

/// Runs `f` with `id` as the file whose results are being written or read.
pub fn as_file<R>(id: FileId, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<FileId>);
    impl Drop for Reset {
        fn drop(&mut self) {
            OWN_FILE.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(OWN_FILE.with(|c| c.replace(Some(id))));
    f()
}

fn own_file() -> Option<FileId> {
    OWN_FILE.with(Cell::get)
}

/// `#[serde(with = "file_id")]`: the file's own id, written as nothing.
pub mod file_id {
    use super::*;

    pub fn serialize<S: Serializer>(id: &FileId, s: S) -> Result<S::Ok, S::Error> {
        if own_file() != Some(*id) {
            return Err(S::Error::custom("a file id that is not the file's own"));
        }
        s.serialize_unit()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FileId, D::Error> {
        <()>::deserialize(d)?;
        own_file().ok_or_else(|| D::Error::custom("no file to read a file id for"))
    }
}

/// `#[serde(with = "file_pairs")]`: a list of (the file's own id, value).
pub mod file_pairs {
    use super::*;

    pub fn serialize<S: Serializer, T: Serialize>(
        v: &[(FileId, T)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        if v.iter().any(|(id, _)| own_file() != Some(*id)) {
            return Err(S::Error::custom("a file id that is not the file's own"));
        }
        s.collect_seq(v.iter().map(|(_, t)| t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Vec<(FileId, T)>, D::Error> {
        let values = Vec::<T>::deserialize(d)?;
        let id = own_file().ok_or_else(|| D::Error::custom("no file to read a file id for"))?;
        Ok(values.into_iter().map(|t| (id, t)).collect())
    }
}

static RULE_IDS: OnceLock<Vec<&'static str>> = OnceLock::new();

/// The rule ids a cached finding may name: every rule the binary has, and
/// the policy rules registered (`rule_meta::registry`). The finding layer
/// knows no rule registry, so the engine hands the binary's over once.
pub fn set_rule_ids(ids: impl FnOnce() -> Vec<&'static str>) {
    RULE_IDS.get_or_init(ids);
}

/// `#[serde(with = "rule_id")]`: a rule id, by name.
pub mod rule_id {
    use super::*;

    pub fn serialize<S: Serializer>(id: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let name = <&str>::deserialize(d)?;
        RULE_IDS
            .get()
            .and_then(|ids| ids.iter().find(|id| **id == name).copied())
            .or_else(|| super::super::rule_meta::registry::find(name).map(|m| m.id))
            .ok_or_else(|| D::Error::custom("a rule this binary does not have"))
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <&str>::deserialize(d)?;
        Ok(Text::Shared(Arc::from(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Sample {
        #[serde(with = "file_id")]
        file: FileId,
        #[serde(with = "file_pairs")]
        pairs: Vec<(FileId, String)>,
    }

    #[test]
    fn file_ids_are_written_as_nothing_and_read_as_the_readers_file() {
        let s = Sample {
            file: 7,
            pairs: vec![(7, "a".into())],
        };
        let bytes = as_file(7, || postcard::to_stdvec(&s)).unwrap();
        let back: Sample = as_file(3, || postcard::from_bytes(&bytes)).unwrap();
        assert_eq!(
            back,
            Sample {
                file: 3,
                pairs: vec![(3, "a".into())]
            }
        );
    }

    #[test]
    fn another_files_id_is_not_written() {
        let s = Sample {
            file: 7,
            pairs: vec![(8, "a".into())],
        };
        assert!(as_file(7, || postcard::to_stdvec(&s)).is_err());
        assert!(postcard::to_stdvec(&s).is_err(), "no file: nothing written");
    }

    #[test]
    fn the_file_is_restored_after_a_scope() {
        as_file(1, || {
            as_file(2, || assert_eq!(own_file(), Some(2)));
            assert_eq!(own_file(), Some(1));
        });
        assert_eq!(own_file(), None);
    }
}
