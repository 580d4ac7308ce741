//! The lexer's state and how it reads bytes: where a script's lines end,
//! what the next character is, and the working directory it tracks. The
//! lexing itself is split by concern over `lexer` (commands), `words`
//! (words, quotes, expansions) and `heredoc` (data between commands), each
//! an `impl Lexer` block; they share only what this file holds.

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// Tokenize up to the limit.
    Limit,
    /// Tokenize up to an unmatched `)` (inside `$( ... )`).
    Paren,
}

/// The working directory and `pushd` stack, saved around a group `( ... )`.
pub(super) type DirState = (Option<String>, Vec<Option<String>>);

pub(super) struct Heredoc {
    pub(super) delim: String,
    pub(super) strip_tabs: bool,
}

/// Contexts of the verbatim scanner [`Lexer::skip_balanced`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Ctx {
    Paren,
    Brace,
    Dq,
    Backtick,
}

pub(super) struct Lexer<'a> {
    pub(super) src: &'a str,
    pub(super) b: &'a [u8],
    /// Heredocs whose body starts after the next unquoted newline.
    pub(super) heredocs: Vec<Heredoc>,
    pub(super) cwd: Option<String>,
    pub(super) dir_stack: Vec<Option<String>>,
    /// Start of the last `}}` in the script: lets an unterminated `${{` fail
    /// fast, keeping the tokenizer linear.
    pub(super) last_gh_close: Option<usize>,
    /// Same for the `#>` closing a PowerShell block comment.
    pub(super) last_block_close: Option<usize>,
    /// Same for the closers of PowerShell here-strings (`"@`, `'@`).
    pub(super) last_here_close: [Option<usize>; 2],
}

impl Lexer<'_> {
    pub(super) fn at(&self, i: usize, limit: usize) -> Option<u8> {
        if i < limit {
            self.b.get(i).copied()
        } else {
            None
        }
    }

    /// Length of the newline (`\n` or `\r\n`) at `i`, 0 if none.
    pub(super) fn newline_len(&self, i: usize, limit: usize) -> usize {
        match self.at(i, limit) {
            Some(b'\n') => 1,
            Some(b'\r') if self.at(i + 1, limit) == Some(b'\n') => 2,
            _ => 0,
        }
    }

    /// Index of the next `\n` at or after `i`, or `limit`.
    pub(super) fn line_end(&self, i: usize, limit: usize) -> usize {
        self.b
            .get(i..limit)
            .and_then(|s| s.iter().position(|&c| c == b'\n'))
            .map_or(limit, |p| i + p)
    }

    /// Index just past the char starting at `i`.
    pub(super) fn next_char(&self, i: usize) -> usize {
        i + self
            .src
            .get(i..)
            .and_then(|s| s.chars().next())
            .map_or(1, char::len_utf8)
    }

    pub(super) fn copy(&self, text: &mut Vec<u8>, from: usize, to: usize) {
        if let Some(s) = self.b.get(from..to) {
            text.extend_from_slice(s);
        }
    }

    /// True when no word continues at `i`.
    pub(super) fn is_word_end(&self, i: usize, limit: usize) -> bool {
        matches!(
            self.at(i, limit),
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b')')
        )
    }

    pub(super) fn save_dirs(&self) -> DirState {
        (self.cwd.clone(), self.dir_stack.clone())
    }

    pub(super) fn restore_dirs(&mut self, saved: DirState) {
        (self.cwd, self.dir_stack) = saved;
    }
}
