//! The oracle for "no raw control character in human output", shared by the
//! bad-input matrix (`tests/bad_input.rs`) and the fuzz crate's lint target
//! (`fuzz/src/lib.rs` includes this file by path). Its own list, written
//! apart from the renderer's `finding::visible`, so a mistake there is not
//! repeated here.

/// Characters human output must never carry raw (the oracle's own list, not
/// the renderer's): C0 but `\n`, DEL, C1, bidirectional overrides, isolates
/// and marks, and the Unicode line and paragraph separators.
pub fn forbidden(c: char) -> bool {
    let o = c as u32;
    (o < 0x20 && c != '\n')
        || o == 0x7f
        || (0x80..=0x9f).contains(&o)
        || (0x202a..=0x202e).contains(&o)
        || (0x2066..=0x2069).contains(&o)
        || matches!(o, 0x200e | 0x200f | 0x061c | 0x2028 | 0x2029)
}

/// The first character of human output no repository may put there: with
/// `styled`, shipshape's own SGR sequences (`ESC [ digits ; m`) are its
/// structure; anything else starting with ESC is not.
pub fn raw_control(out: &[u8], styled: bool) -> Option<String> {
    let text = String::from_utf8_lossy(out);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if styled && c == '\u{1b}' && text[i + 1..].starts_with('[') {
            let rest = &text[i + 2..];
            let n = rest
                .find(|c: char| !(c.is_ascii_digit() || c == ';'))
                .unwrap_or(rest.len());
            if rest[n..].starts_with('m') {
                // Skip `[`, the parameters and `m`.
                for _ in 0..n + 2 {
                    chars.next();
                }
                continue;
            }
        }
        if forbidden(c) {
            // Some context, cut on character boundaries.
            let lo = (0..=i.saturating_sub(40))
                .rev()
                .find(|&j| text.is_char_boundary(j))
                .unwrap_or(0);
            let hi = ((i + 20).min(text.len())..=text.len())
                .find(|&j| text.is_char_boundary(j))
                .unwrap_or(text.len());
            return Some(format!(
                "U+{:04X} at byte {i}: {:?}",
                c as u32,
                &text[lo..hi]
            ));
        }
    }
    None
}
