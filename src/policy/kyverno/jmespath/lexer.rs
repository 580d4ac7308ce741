//! JMESPath text into tokens, each with its byte offset in the expression.

use super::value::{parse_text, Json, Val};
use super::Error;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    /// A `"quoted"` identifier.
    Quoted(String),
    /// `'raw'` string or `` `json` `` literal.
    Lit(Json),
    Num(i64),
    Dot,
    Star,
    Flatten,
    LBracket,
    RBracket,
    Filter,
    LBrace,
    RBrace,
    LParen,
    RParen,
    Comma,
    Colon,
    Pipe,
    Or,
    And,
    Not,
    At,
    Amp,
    Cmp(Cmp),
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Most tokens an expression may have.
const MAX_TOKENS: usize = 10_000;

pub(crate) fn lex(src: &str) -> Result<Vec<(Tok, usize)>, Error> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if out.len() > MAX_TOKENS {
            return Err(Error::new(i, "the expression is too long"));
        }
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let two = |x: u8| b.get(i + 1) == Some(&x);
        let (tok, len) = match c {
            b'.' => (Tok::Dot, 1),
            b'*' => (Tok::Star, 1),
            b'[' if two(b']') => (Tok::Flatten, 2),
            b'[' if two(b'?') => (Tok::Filter, 2),
            b'[' => (Tok::LBracket, 1),
            b']' => (Tok::RBracket, 1),
            b'{' => (Tok::LBrace, 1),
            b'}' => (Tok::RBrace, 1),
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b',' => (Tok::Comma, 1),
            b':' => (Tok::Colon, 1),
            b'@' => (Tok::At, 1),
            b'|' if two(b'|') => (Tok::Or, 2),
            b'|' => (Tok::Pipe, 1),
            b'&' if two(b'&') => (Tok::And, 2),
            b'&' => (Tok::Amp, 1),
            b'!' if two(b'=') => (Tok::Cmp(Cmp::Ne), 2),
            b'!' => (Tok::Not, 1),
            b'=' if two(b'=') => (Tok::Cmp(Cmp::Eq), 2),
            b'<' if two(b'=') => (Tok::Cmp(Cmp::Le), 2),
            b'<' => (Tok::Cmp(Cmp::Lt), 1),
            b'>' if two(b'=') => (Tok::Cmp(Cmp::Ge), 2),
            b'>' => (Tok::Cmp(Cmp::Gt), 1),
            b'\'' => {
                let (text, end) = delimited(src, i, b'\'')?;
                let text = text.replace("\\'", "'");
                (Tok::Lit(Val::str(text)), end - i)
            }
            b'`' => {
                let (text, end) = delimited(src, i, b'`')?;
                let text = text.replace("\\`", "`");
                let v = parse_text(&text)
                    .ok_or_else(|| Error::new(i, format!("invalid JSON literal `{text}`")))?;
                (Tok::Lit(v), end - i)
            }
            b'"' => {
                let (text, end) = delimited(src, i, b'"')?;
                let s: String = serde_json::from_str(&format!("\"{text}\""))
                    .map_err(|_| Error::new(i, "invalid quoted identifier"))?;
                (Tok::Quoted(s), end - i)
            }
            b'-' | b'0'..=b'9' => {
                let mut j = i + 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                let n = src[i..j]
                    .parse::<i64>()
                    .map_err(|_| Error::new(i, "invalid number"))?;
                (Tok::Num(n), j - i)
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                (Tok::Ident(src[i..j].to_string()), j - i)
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or(' ');
                return Err(Error::new(i, format!("unexpected character `{ch}`")));
            }
        };
        out.push((tok, start));
        i += len;
    }
    out.push((Tok::Eof, src.len()));
    Ok(out)
}

/// The text between the quote at `start` and its closing quote (a
/// backslash escapes the next byte), and the offset just past it.
fn delimited(src: &str, start: usize, q: u8) -> Result<(String, usize), Error> {
    let b = src.as_bytes();
    let mut j = start + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            c if c == q => return Ok((src[start + 1..j].to_string(), j + 1)),
            _ => j += 1,
        }
    }
    Err(Error::new(start, "unterminated string or literal"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t = lex("a.b[?c == 'x'] || `[1]` | [0]").unwrap();
        let kinds: Vec<_> = t.iter().map(|(t, _)| t.clone()).collect();
        assert_eq!(kinds[0], Tok::Ident("a".into()));
        assert_eq!(kinds[3], Tok::Filter);
        assert_eq!(kinds[5], Tok::Cmp(Cmp::Eq));
        assert!(matches!(kinds[9], Tok::Lit(Val::List(_))));
        assert_eq!(t[2].1, 2);
        assert!(lex("'open").is_err());
        assert!(lex("a # b").is_err());
        assert!(lex("`{bad`").is_err());
    }
}
