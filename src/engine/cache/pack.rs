//! An entry's parts as stored: LZ4-compressed when that pays. Findings
//! repeat their help text, their object and much of their message, so a
//! file's report shrinks several times; decompressing costs less than
//! reading the difference.
//!
//! A part is a tag byte and its bytes: `0` as is, `1` an LZ4 block with
//! its length first. The length is checked against a bound before anything
//! is allocated, and a block that does not decompress to exactly that
//! length is refused.

use std::borrow::Cow;

/// Parts smaller than this are kept as they are.
const MIN: usize = 96;

/// No part is larger than its compressed bytes times this (LZ4's limit is 255).
const MAX_RATIO: usize = 255;

const RAW: u8 = 0;
const LZ4: u8 = 1;

/// A part as stored.
pub(super) fn pack(part: &[u8]) -> Vec<u8> {
    if part.len() >= MIN {
        let packed = lz4_flex::block::compress(part);
        if packed.len() + 5 < part.len() {
            let mut out = Vec::with_capacity(packed.len() + 5);
            out.push(LZ4);
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(&packed);
            return out;
        }
    }
    let mut out = Vec::with_capacity(part.len() + 1);
    out.push(RAW);
    out.extend_from_slice(part);
    out
}

/// A part from its stored bytes, or `None` if they are not a part.
pub(super) fn unpack(stored: &[u8]) -> Option<Cow<'_, [u8]>> {
    let (&tag, rest) = stored.split_first()?;
    match tag {
        RAW => Some(Cow::Borrowed(rest)),
        LZ4 => {
            let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
            let block = &rest[4..];
            if len > block.len().saturating_mul(MAX_RATIO) {
                return None;
            }
            let part = lz4_flex::block::decompress(block, len).ok()?;
            (part.len() == len).then_some(Cow::Owned(part))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_read_back_compressed_or_not() {
        let small = b"short".to_vec();
        let large: Vec<u8> = b"the same help text again; ".repeat(40);
        for part in [small, large.clone(), Vec::new()] {
            let stored = pack(&part);
            assert_eq!(unpack(&stored).unwrap().as_ref(), &part[..]);
        }
        assert!(
            pack(&large).len() < large.len() / 4,
            "repetition compresses"
        );
    }

    #[test]
    fn damaged_parts_are_refused_not_trusted() {
        let large: Vec<u8> = b"the same help text again; ".repeat(40);
        let stored = pack(&large);
        assert!(unpack(&[]).is_none());
        assert!(unpack(&[7, 1, 2]).is_none());
        // A length far beyond what the block can hold: nothing allocated.
        let mut huge = stored.clone();
        huge[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(unpack(&huge).is_none());
        for cut in 1..stored.len() {
            let r = unpack(&stored[..cut]);
            assert!(r.is_none_or(|p| p.as_ref() != &large[..]), "cut at {cut}");
        }
    }
}
