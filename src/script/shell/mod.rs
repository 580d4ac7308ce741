//! Tokenizer for the `run:` scripts of GitHub Actions steps.
//!
//! [`commands`] splits a bash script (and, best effort, a PowerShell one) into
//! simple commands made of [`Word`]s, with their redirections and the
//! directory they run in. It is not a shell: it only understands as much
//! syntax as a linter needs to tell *commands* apart from *data* (quoted
//! strings, comments, heredoc bodies), and it never fails: any input, however
//! malformed, yields some list of commands.
//!
//! All ranges are byte offsets into the script passed to [`commands`], and
//! always fall on `char` boundaries.

use std::ops::Range;

use crate::source::path::{join_path, normalize_path};

/// One word of a simple command, after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word's text with quotes removed and `\x` escapes resolved (GitHub
    /// `${{ ... }}` expressions and `$VAR`/`${VAR}` kept verbatim).
    pub text: String,
    /// Byte range of the whole word in the script, quotes included.
    pub range: Range<usize>,
    /// True when any part of the word was quoted (or backslash-escaped).
    pub quoted: bool,
}

impl Word {
    /// True for an option-looking word: `-f`, `--file`, `--file=x` (not `-`).
    pub fn is_flag(&self) -> bool {
        self.text.len() > 1 && self.text.starts_with('-')
    }

    /// `Some((name, value))` when the word has the shape of a shell assignment
    /// `NAME=value` (also `NAME+=value` and `NAME[i]=value`, reported as `NAME`).
    pub fn assignment(&self) -> Option<(&str, &str)> {
        let name = assignment_name(&self.text)?;
        let eq = self.text.find('=')?;
        Some((name, self.text.get(eq + 1..).unwrap_or("")))
    }
}

/// A simple command: the words between separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    /// Redirections attached to this command, e.g. `> ~/.kube/config` or
    /// `>> $GITHUB_ENV` (operator text and target word).
    pub redirects: Vec<Redirect>,
    /// Directory the command runs in, if an earlier `cd DIR` in the same
    /// script changed it (relative text as written, joined for successive
    /// cd's; None if never changed or unknowable).
    pub cwd: Option<String>,
}

/// A redirection: operator (`>`, `>>`, `2>`, `2>&`, `&>`, `<`, `<<<`, ...,
/// and `<<` for every heredoc, whose target is the delimiter after quote
/// removal) and its target word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub op: String,
    pub target: Word,
}

impl Command {
    /// Index of the program word: skips leading `NAME=value` assignments and
    /// wrappers `sudo` (and its flags), `env` (and its NAME=value args),
    /// `time`, `nohup`, `exec`, `command`, `xargs` (and its flags), and also
    /// `timeout DURATION` and `nice`.
    pub fn program_index(&self) -> Option<usize> {
        let w = &self.words;
        let mut i = 0;
        while i < w.len() {
            let t = w[i].text.as_str();
            if assignment_name(t).is_some() || t == "!" {
                i += 1;
                continue;
            }
            i = match basename(t) {
                "sudo" => skip_options(w, i + 1, SUDO_VALUE_FLAGS, false),
                "env" => skip_options(w, i + 1, ENV_VALUE_FLAGS, true),
                "time" => skip_options(w, i + 1, TIME_VALUE_FLAGS, false),
                "exec" => skip_options(w, i + 1, EXEC_VALUE_FLAGS, false),
                "command" => skip_options(w, i + 1, &[], false),
                "xargs" => skip_options(w, i + 1, XARGS_VALUE_FLAGS, false),
                "nice" => skip_options(w, i + 1, NICE_VALUE_FLAGS, false),
                "nohup" => i + 1,
                "timeout" => {
                    // `timeout [OPTION] DURATION COMMAND`
                    let j = skip_options(w, i + 1, TIMEOUT_VALUE_FLAGS, false);
                    j + 1
                }
                _ => return Some(i),
            };
        }
        None
    }

    /// Text of the program word, with any leading path stripped
    /// (`/usr/bin/kubectl` -> `kubectl`).
    pub fn program(&self) -> Option<&str> {
        self.program_index()
            .and_then(|i| self.words.get(i))
            .map(|w| basename(&w.text))
    }

    /// Words after the program (empty when there is no program).
    pub fn args(&self) -> &[Word] {
        match self.program_index() {
            Some(i) => self.words.get(i + 1..).unwrap_or(&[]),
            None => &[],
        }
    }

    /// Assignments `NAME=value` before the program (including the ones given
    /// to `env`/`sudo`), as (name, the whole `NAME=value` word). For a bare
    /// assignment command (no program) these are all its assignment words.
    pub fn assignments(&self) -> Vec<(&str, &Word)> {
        let end = self.program_index().unwrap_or(self.words.len());
        self.words
            .get(..end)
            .unwrap_or(&[])
            .iter()
            .filter_map(|w| assignment_name(&w.text).map(|n| (n, w)))
            .collect()
    }

    /// Byte range from the first word to the last word (or redirect target).
    pub fn range(&self) -> Range<usize> {
        let ranges = self
            .words
            .iter()
            .map(|w| &w.range)
            .chain(self.redirects.iter().map(|r| &r.target.range));
        let (mut lo, mut hi) = (usize::MAX, 0);
        for r in ranges {
            lo = lo.min(r.start);
            hi = hi.max(r.end);
        }
        if lo > hi {
            0..0
        } else {
            lo..hi
        }
    }
}

const SUDO_VALUE_FLAGS: &[&str] = &[
    "-u",
    "-g",
    "-h",
    "-p",
    "-C",
    "-D",
    "-r",
    "-t",
    "-T",
    "-U",
    "--user",
    "--group",
    "--host",
    "--prompt",
    "--chdir",
    "--role",
    "--type",
    "--command-timeout",
    "--other-user",
    "--close-from",
];
const ENV_VALUE_FLAGS: &[&str] = &["-u", "-C", "-S", "--unset", "--chdir", "--split-string"];
const TIME_VALUE_FLAGS: &[&str] = &["-f", "-o", "--format", "--output"];
const EXEC_VALUE_FLAGS: &[&str] = &["-a"];
const XARGS_VALUE_FLAGS: &[&str] = &[
    "-I",
    "-n",
    "-P",
    "-L",
    "-d",
    "-E",
    "-s",
    "-a",
    "--arg-file",
    "--delimiter",
    "--max-args",
    "--max-procs",
    "--max-lines",
    "--max-chars",
    "--process-slot-var",
];
const NICE_VALUE_FLAGS: &[&str] = &["-n", "--adjustment"];
const TIMEOUT_VALUE_FLAGS: &[&str] = &["-s", "-k", "--signal", "--kill-after"];

/// Skips the options of a wrapper command starting at `i`; returns the index
/// of the first word that is not an option (nor, with `assignments`, a
/// `NAME=value` word).
fn skip_options(w: &[Word], mut i: usize, value_flags: &[&str], assignments: bool) -> usize {
    while let Some(word) = w.get(i) {
        let t = word.text.as_str();
        if t == "--" {
            return i + 1;
        }
        if t.len() > 1 && t.starts_with('-') {
            // A value flag given as a separate word consumes the next word;
            // `-n1`, `--max-args=1` carry their value.
            i += if value_flags.contains(&t) { 2 } else { 1 };
        } else if assignments && assignment_name(t).is_some() {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// The last `/`-separated component of `t`.
fn basename(t: &str) -> &str {
    t.rsplit('/').next().unwrap_or(t)
}

/// Name of a shell assignment word `NAME=...` / `NAME+=...` / `NAME[i]=...`.
pub fn assignment_name(t: &str) -> Option<&str> {
    let eq = t.find('=')?;
    let mut name = t.get(..eq)?;
    if let Some(n) = name.strip_suffix('+') {
        name = n;
    }
    if let Some(open) = name.find('[') {
        if !name.ends_with(']') {
            return None;
        }
        name = name.get(..open)?;
    }
    let mut chars = name.chars();
    let first = chars.next()?;
    if (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        Some(name)
    } else {
        None
    }
}

/// Splits a script into simple commands, in source order. Commands found
/// inside an unquoted `$( ... )`, `` `...` `` or `<( ... )` come right after
/// the command containing them.
pub fn commands(script: &str) -> Vec<Command> {
    let mut lexer = Lexer {
        src: script,
        b: script.as_bytes(),
        heredocs: Vec::new(),
        cwd: None,
        dir_stack: Vec::new(),
        last_gh_close: script.rfind("}}"),
        last_block_close: script.rfind("#>"),
        last_here_close: [script.rfind("\n\"@"), script.rfind("\n'@")],
    };
    lexer.seq(0, script.len(), Stop::Limit, 0).1
}

/// Nesting limit for recursive tokenization of command substitutions; deeper
/// substitutions are skipped verbatim.
const MAX_DEPTH: usize = 32;
/// Entries kept by `pushd`.
const MAX_DIR_STACK: usize = 64;
/// A longer working directory is deemed unknowable (keeps memory linear on
/// pathological input such as thousands of `cd a`).
const MAX_CWD_LEN: usize = 512;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Tokenize up to the limit.
    Limit,
    /// Tokenize up to an unmatched `)` (inside `$( ... )`).
    Paren,
}

/// Contexts of the verbatim scanner [`Lexer::skip_balanced`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Paren,
    Brace,
    Dq,
    Backtick,
}

struct Heredoc {
    delim: String,
    strip_tabs: bool,
}

type DirState = (Option<String>, Vec<Option<String>>);

#[derive(Default)]
struct Pending {
    words: Vec<Word>,
    redirects: Vec<Redirect>,
    /// Commands of substitutions inside this command, emitted after it.
    deferred: Vec<Command>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.words.is_empty() && self.redirects.is_empty()
    }
}

fn is_keyword(t: &str) -> bool {
    matches!(
        t,
        "if" | "then" | "else" | "elif" | "fi" | "do" | "done" | "while" | "until" | "esac" | "!"
    )
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    /// Heredocs whose body starts after the next unquoted newline.
    heredocs: Vec<Heredoc>,
    cwd: Option<String>,
    dir_stack: Vec<Option<String>>,
    /// Start of the last `}}` in the script: lets an unterminated `${{` fail
    /// fast, keeping the tokenizer linear.
    last_gh_close: Option<usize>,
    /// Same for the `#>` closing a PowerShell block comment.
    last_block_close: Option<usize>,
    /// Same for the closers of PowerShell here-strings (`"@`, `'@`).
    last_here_close: [Option<usize>; 2],
}

impl Lexer<'_> {
    fn at(&self, i: usize, limit: usize) -> Option<u8> {
        if i < limit {
            self.b.get(i).copied()
        } else {
            None
        }
    }

    /// Length of the newline (`\n` or `\r\n`) at `i`, 0 if none.
    fn newline_len(&self, i: usize, limit: usize) -> usize {
        match self.at(i, limit) {
            Some(b'\n') => 1,
            Some(b'\r') if self.at(i + 1, limit) == Some(b'\n') => 2,
            _ => 0,
        }
    }

    /// Index of the next `\n` at or after `i`, or `limit`.
    fn line_end(&self, i: usize, limit: usize) -> usize {
        self.b
            .get(i..limit)
            .and_then(|s| s.iter().position(|&c| c == b'\n'))
            .map_or(limit, |p| i + p)
    }

    /// Index just past the char starting at `i`.
    fn next_char(&self, i: usize) -> usize {
        i + self
            .src
            .get(i..)
            .and_then(|s| s.chars().next())
            .map_or(1, char::len_utf8)
    }

    fn copy(&self, text: &mut Vec<u8>, from: usize, to: usize) {
        if let Some(s) = self.b.get(from..to) {
            text.extend_from_slice(s);
        }
    }

    /// True when no word continues at `i`.
    fn is_word_end(&self, i: usize, limit: usize) -> bool {
        matches!(
            self.at(i, limit),
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b')')
        )
    }

    fn save_dirs(&self) -> DirState {
        (self.cwd.clone(), self.dir_stack.clone())
    }

    fn restore_dirs(&mut self, saved: DirState) {
        (self.cwd, self.dir_stack) = saved;
    }

    /// Tokenizes `start..limit` into commands. With `Stop::Paren`, stops at
    /// the first unmatched `)` and returns its index; otherwise returns
    /// `limit`.
    fn seq(
        &mut self,
        start: usize,
        limit: usize,
        stop: Stop,
        depth: usize,
    ) -> (usize, Vec<Command>) {
        let mut out = Vec::new();
        let mut cur = Pending::default();
        let mut groups: Vec<DirState> = Vec::new();
        let mut case_depth = 0usize;
        let mut in_pattern = false;
        let mut i = start;
        while i < limit {
            let c = self.b[i];
            let next = self.at(i + 1, limit);
            if in_pattern {
                // `case` patterns: `a|b)` — data up to the `)`.
                match c {
                    b' ' | b'\t' | b'\r' | b'\n' | b'|' | b'(' | b';' => i += 1,
                    b')' => {
                        in_pattern = false;
                        i += 1;
                    }
                    b'#' => i = self.line_end(i, limit),
                    _ => {
                        let (w, end) = self.read_word(i, limit, depth, &mut Vec::new());
                        if !w.quoted && w.text == "esac" {
                            in_pattern = false;
                            case_depth = case_depth.saturating_sub(1);
                        }
                        i = if end > i { end } else { self.next_char(i) };
                    }
                }
                continue;
            }
            match c {
                b' ' | b'\t' | b'\r' => i += 1,
                // Line continuation: `\` (bash) or `` ` `` (PowerShell) + newline.
                b'\\' | b'`' if self.newline_len(i + 1, limit) > 0 => {
                    i += 1 + self.newline_len(i + 1, limit);
                }
                b'\n' => {
                    self.finish(&mut cur, &mut out);
                    i += 1;
                    if !self.heredocs.is_empty() {
                        i = self.skip_heredocs(i, limit);
                    }
                }
                b';' => {
                    self.finish(&mut cur, &mut out);
                    match next {
                        Some(b';') => {
                            i += 2;
                            if self.at(i, limit) == Some(b'&') {
                                i += 1;
                            }
                            in_pattern = case_depth > 0;
                        }
                        Some(b'&') => {
                            i += 2;
                            in_pattern = case_depth > 0;
                        }
                        _ => i += 1,
                    }
                }
                b'&' if next == Some(b'>') => i = self.redirect(i, limit, depth, &mut cur),
                b'&' | b'|' => {
                    self.finish(&mut cur, &mut out);
                    i += if matches!(next, Some(b'&' | b'|')) {
                        2
                    } else {
                        1
                    };
                }
                b'(' if next == Some(b'(') => {
                    // Arithmetic command `(( ... ))` (also `for (( ...; ...; ... ))`).
                    self.finish(&mut cur, &mut out);
                    i = self.skip_balanced(i + 2, limit, Ctx::Paren);
                    if self.at(i, limit) == Some(b')') {
                        i += 1;
                    }
                }
                b'(' => {
                    self.finish(&mut cur, &mut out);
                    groups.push(self.save_dirs());
                    i += 1;
                }
                b')' => {
                    self.finish(&mut cur, &mut out);
                    if let Some(saved) = groups.pop() {
                        self.restore_dirs(saved);
                    } else if stop == Stop::Paren {
                        return (i, out);
                    }
                    i += 1;
                }
                b'#' => i = self.line_end(i, limit),
                b'<' if next == Some(b'#') => i = self.block_comment(i, limit),
                b'<' | b'>' if next != Some(b'(') => i = self.redirect(i, limit, depth, &mut cur),
                b'0'..=b'9' if self.is_fd_redirect(i, limit) => {
                    i = self.redirect(i, limit, depth, &mut cur);
                }
                b'{' | b'}' if self.is_word_end(i + 1, limit) => {
                    self.finish(&mut cur, &mut out);
                    i += 1;
                }
                _ => {
                    let (w, end) = self.read_word(i, limit, depth, &mut cur.deferred);
                    if end <= i {
                        i = self.next_char(i);
                        continue;
                    }
                    i = end;
                    if cur.words.is_empty() && !w.quoted && is_keyword(&w.text) {
                        if w.text == "esac" {
                            case_depth = case_depth.saturating_sub(1);
                        }
                        continue;
                    }
                    let case_in = !w.quoted
                        && w.text == "in"
                        && cur.words.len() == 2
                        && !cur.words[0].quoted
                        && cur.words[0].text == "case";
                    cur.words.push(w);
                    if case_in {
                        self.finish(&mut cur, &mut out);
                        case_depth += 1;
                        in_pattern = true;
                    }
                }
            }
        }
        self.finish(&mut cur, &mut out);
        (limit, out)
    }

    /// Ends the current simple command (if any), tracking `cd`.
    fn finish(&mut self, cur: &mut Pending, out: &mut Vec<Command>) {
        let deferred = std::mem::take(&mut cur.deferred);
        if !cur.is_empty() {
            let cmd = Command {
                words: std::mem::take(&mut cur.words),
                redirects: std::mem::take(&mut cur.redirects),
                cwd: self.cwd.clone(),
            };
            self.track_cwd(&cmd);
            out.push(cmd);
        }
        out.extend(deferred);
    }

    fn track_cwd(&mut self, cmd: &Command) {
        let Some(prog) = cmd.program() else { return };
        let lower = prog.to_ascii_lowercase();
        match lower.as_str() {
            "cd" | "chdir" | "set-location" | "sl" => self.cwd = self.cd_target(cmd.args()),
            "pushd" | "push-location" => {
                let new = self.cd_target(cmd.args());
                if self.dir_stack.len() < MAX_DIR_STACK {
                    let old = std::mem::replace(&mut self.cwd, new);
                    self.dir_stack.push(old);
                } else {
                    self.cwd = new;
                }
            }
            "popd" | "pop-location" => self.cwd = self.dir_stack.pop().flatten(),
            _ => {}
        }
    }

    /// The directory after `cd ARGS`, or None when unknowable (`cd`, `cd -`).
    fn cd_target(&self, args: &[Word]) -> Option<String> {
        let mut only_operands = false;
        let target = args.iter().map(|w| w.text.as_str()).find(|t| {
            if only_operands {
                return true;
            }
            if *t == "--" {
                only_operands = true;
                return false;
            }
            // Flags (`-P`, PowerShell `-Path`) are skipped; `-` is OLDPWD.
            !(t.len() > 1 && t.starts_with('-'))
        });
        let dir = match target {
            None | Some("-") => None,
            Some("") => self.cwd.clone(),
            Some(t) => Some(match &self.cwd {
                Some(base) => join_path(base, t),
                None => normalize_path(t),
            }),
        };
        dir.filter(|d| d.len() <= MAX_CWD_LEN)
    }

    /// Whether `i` starts `DIGITS<` / `DIGITS>` (a redirect with an fd).
    fn is_fd_redirect(&self, i: usize, limit: usize) -> bool {
        let mut j = i;
        while self.at(j, limit).is_some_and(|c| c.is_ascii_digit()) {
            j += 1;
        }
        matches!(self.at(j, limit), Some(b'<' | b'>'))
    }

    /// Lexes a redirection at `i` (fd digits, operator, target word) into
    /// `cur`; returns the index after it.
    fn redirect(&mut self, i: usize, limit: usize, depth: usize, cur: &mut Pending) -> usize {
        let src = self.src;
        let mut j = i;
        while self.at(j, limit).is_some_and(|c| c.is_ascii_digit()) {
            j += 1;
        }
        let op_len = match (
            self.at(j, limit),
            self.at(j + 1, limit),
            self.at(j + 2, limit),
        ) {
            (Some(b'&'), Some(b'>'), Some(b'>')) | (Some(b'<'), Some(b'<'), Some(b'<' | b'-')) => 3,
            (Some(b'&'), Some(b'>'), _)
            | (Some(b'>'), Some(b'>' | b'|' | b'&'), _)
            | (Some(b'<'), Some(b'<' | b'&' | b'>'), _) => 2,
            _ => 1,
        };
        let op_end = (j + op_len).min(limit);
        let op = src.get(i..op_end).unwrap_or("");
        let heredoc = !op.ends_with("<<<") && (op.ends_with("<<") || op.ends_with("<<-"));
        let mut k = op_end;
        loop {
            match self.at(k, limit) {
                Some(b' ' | b'\t') => k += 1,
                Some(b'\\') if self.newline_len(k + 1, limit) > 0 => {
                    k += 1 + self.newline_len(k + 1, limit);
                }
                _ => break,
            }
        }
        let (target, end) = self.read_word(k, limit, depth, &mut cur.deferred);
        if end <= k {
            return op_end.max(i + 1);
        }
        let op = if heredoc {
            self.heredocs.push(Heredoc {
                delim: target.text.clone(),
                strip_tabs: op.ends_with('-'),
            });
            "<<".to_string()
        } else {
            op.to_string()
        };
        cur.redirects.push(Redirect { op, target });
        end
    }

    /// Skips the bodies of the pending heredocs, starting at line `start`.
    fn skip_heredocs(&mut self, start: usize, limit: usize) -> usize {
        let docs = std::mem::take(&mut self.heredocs);
        docs.iter()
            .fold(start, |i, d| self.heredoc_end(i, limit, d))
    }

    /// Index after the terminator line of heredoc `d` whose body starts at
    /// `start`. Falls back to a whitespace-trimmed match (an indented
    /// terminator, a common mistake), then to `limit`.
    fn heredoc_end(&self, start: usize, limit: usize, d: &Heredoc) -> usize {
        for exact in [true, false] {
            let mut i = start;
            while i < limit {
                let end = self.line_end(i, limit);
                let line = self.src.get(i..end).unwrap_or("");
                let line = line.strip_suffix('\r').unwrap_or(line);
                let found = if exact {
                    let l = if d.strip_tabs {
                        line.trim_start_matches('\t')
                    } else {
                        line
                    };
                    l == d.delim
                } else {
                    line.trim() == d.delim
                };
                if found {
                    return (end + 1).min(limit);
                }
                i = end + 1;
            }
        }
        limit
    }

    /// Skips a PowerShell block comment `<# ... #>` starting at `i`.
    fn block_comment(&self, i: usize, limit: usize) -> usize {
        if self.last_block_close.is_none_or(|c| c < i + 2) {
            return limit;
        }
        self.src
            .get(i + 2..limit)
            .and_then(|s| s.find("#>"))
            .map_or(limit, |p| i + 2 + p + 2)
    }

    /// End (exclusive) of the GitHub expression `${{ ... }}` starting at `i`.
    fn gh_expr_end(&self, i: usize, limit: usize) -> Option<usize> {
        if self.b.get(i..i + 3)? != b"${{" || self.last_gh_close.is_none_or(|c| c < i + 3) {
            return None;
        }
        let rest = self.src.get(i + 3..limit)?;
        rest.find("}}").map(|p| i + 3 + p + 2)
    }

    /// Index of the backtick closing a substitution opened before `start`,
    /// on the same line.
    fn backtick_close(&self, start: usize, limit: usize) -> Option<usize> {
        let mut k = start;
        while k < limit {
            match self.b[k] {
                b'\\' => k += 2,
                b'\n' => return None,
                b'`' => return Some(k),
                _ => k += 1,
            }
        }
        None
    }

    /// Scans verbatim from just inside an opening `ctx` delimiter to just
    /// past its matching closer (or `limit`), honouring nested quotes and
    /// substitutions. Iterative, so arbitrarily deep input is fine.
    fn skip_balanced(&self, start: usize, limit: usize, ctx: Ctx) -> usize {
        let mut stack = vec![ctx];
        let mut k = start;
        while k < limit {
            let Some(&top) = stack.last() else { break };
            let next = self.at(k + 1, limit);
            match (top, self.b[k]) {
                (_, b'\\') => k += 2,
                (_, b'$') if next == Some(b'{') => match self.gh_expr_end(k, limit) {
                    Some(end) => k = end,
                    None => {
                        stack.push(Ctx::Brace);
                        k += 2;
                    }
                },
                (_, b'$') if next == Some(b'(') => {
                    stack.push(Ctx::Paren);
                    k += 2;
                }
                (Ctx::Backtick, b'`' | b'\n')
                | (Ctx::Dq, b'"')
                | (Ctx::Paren, b')')
                | (Ctx::Brace, b'}') => {
                    stack.pop();
                    k += 1;
                }
                // PowerShell escapes inside double quotes.
                (Ctx::Dq, b'`') if matches!(next, Some(b'"' | b'`')) => k += 2,
                (Ctx::Dq | Ctx::Paren | Ctx::Brace, b'`') => {
                    stack.push(Ctx::Backtick);
                    k += 1;
                }
                (Ctx::Paren | Ctx::Brace, b'"') => {
                    stack.push(Ctx::Dq);
                    k += 1;
                }
                (Ctx::Paren | Ctx::Brace, b'\'') => {
                    k = self
                        .b
                        .get(k + 1..limit)
                        .and_then(|s| s.iter().position(|&c| c == b'\''))
                        .map_or(limit, |p| k + 1 + p + 1);
                }
                (Ctx::Paren, b'(') => {
                    stack.push(Ctx::Paren);
                    k += 1;
                }
                (Ctx::Brace, b'{') => {
                    stack.push(Ctx::Brace);
                    k += 1;
                }
                _ => k += 1,
            }
            if stack.is_empty() {
                return k.min(limit);
            }
        }
        limit
    }

    /// Tokenizes the command substitution whose inner text starts at `inner`
    /// (the word part starts at `i`: `$(`, `<(` or `>(`); appends its text
    /// verbatim and returns the index after its `)`.
    fn substitution(
        &mut self,
        i: usize,
        inner: usize,
        limit: usize,
        depth: usize,
        text: &mut Vec<u8>,
        deferred: &mut Vec<Command>,
    ) -> usize {
        let end = if depth >= MAX_DEPTH {
            self.skip_balanced(inner, limit, Ctx::Paren)
        } else {
            let saved = self.save_dirs();
            let (close, cmds) = self.seq(inner, limit, Stop::Paren, depth + 1);
            self.restore_dirs(saved);
            deferred.extend(cmds);
            if close < limit {
                close + 1
            } else {
                limit
            }
        };
        self.copy(text, i, end);
        end
    }

    /// Reads one word starting at `start`; returns it and the index after it.
    /// Commands of unquoted substitutions are appended to `deferred`.
    fn read_word(
        &mut self,
        start: usize,
        limit: usize,
        depth: usize,
        deferred: &mut Vec<Command>,
    ) -> (Word, usize) {
        let mut text: Vec<u8> = Vec::new();
        let mut quoted = false;
        let mut i = start;
        if let Some(end) = self.here_string(start, limit, &mut text) {
            quoted = true;
            i = end;
        }
        while i < limit {
            let c = self.b[i];
            let next = self.at(i + 1, limit);
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b')' => break,
                b'(' => {
                    if !is_array_prefix(&text) {
                        break;
                    }
                    // `NAME=( ... )`: an array literal, data.
                    let end = self.skip_balanced(i + 1, limit, Ctx::Paren);
                    self.copy(&mut text, i, end);
                    i = end;
                }
                b'<' | b'>' => {
                    if i != start || next != Some(b'(') {
                        break;
                    }
                    i = self.substitution(i, i + 2, limit, depth, &mut text, deferred);
                }
                b'\\' => match next {
                    None => {
                        text.push(b'\\');
                        i += 1;
                    }
                    Some(b'\n') => i += 2,
                    Some(b'\r') if self.at(i + 2, limit) == Some(b'\n') => i += 3,
                    Some(n) => {
                        // Non-ASCII: the lead byte here, the rest below.
                        text.push(n);
                        quoted = true;
                        i += 2;
                    }
                },
                b'\'' => {
                    quoted = true;
                    i = self.single_quoted(i + 1, limit, &mut text);
                }
                b'"' => {
                    quoted = true;
                    i = self.double_quoted(i + 1, limit, &mut text);
                }
                b'$' => i = self.dollar(i, limit, depth, &mut text, deferred, &mut quoted),
                b'`' => {
                    if self.newline_len(i + 1, limit) > 0 {
                        break; // PowerShell line continuation
                    }
                    match self.backtick_close(i + 1, limit) {
                        Some(close) => {
                            if depth < MAX_DEPTH {
                                let saved = self.save_dirs();
                                let pending = self.heredocs.len();
                                let (_, cmds) = self.seq(i + 1, close, Stop::Limit, depth + 1);
                                self.heredocs.truncate(pending);
                                self.restore_dirs(saved);
                                deferred.extend(cmds);
                            }
                            self.copy(&mut text, i, close + 1);
                            i = close + 1;
                        }
                        None => {
                            text.push(b'`');
                            i += 1;
                        }
                    }
                }
                _ => {
                    text.push(c);
                    i += 1;
                }
            }
        }
        let i = i.min(limit);
        let word = Word {
            text: into_string(text),
            range: start..i,
            quoted,
        };
        (word, i)
    }

    /// A PowerShell here-string `@"` / `@'` + newline ... newline `"@`:
    /// appends its content and returns the index after it.
    fn here_string(&self, start: usize, limit: usize, text: &mut Vec<u8>) -> Option<usize> {
        if self.at(start, limit) != Some(b'@') {
            return None;
        }
        let q = self
            .at(start + 1, limit)
            .filter(|q| matches!(q, b'"' | b'\''))?;
        let nl = self.newline_len(start + 2, limit);
        if nl == 0 {
            return None;
        }
        let body = start + 2 + nl;
        let (closer, last) = if q == b'"' {
            ("\n\"@", self.last_here_close[0])
        } else {
            ("\n'@", self.last_here_close[1])
        };
        if last.is_none_or(|c| c + 1 < body) {
            return None;
        }
        let p = self.src.get(body..limit)?.find(closer)?;
        self.copy(text, body, body + p);
        Some(body + p + 3)
    }

    /// Content of a single-quoted string starting at `start` (after the `'`).
    fn single_quoted(&self, start: usize, limit: usize, text: &mut Vec<u8>) -> usize {
        let mut k = start;
        while k < limit {
            match self.b[k] {
                b'\'' => {
                    self.copy(text, start, k);
                    return k + 1;
                }
                b'$' => k = self.gh_expr_end(k, limit).unwrap_or(k + 1),
                _ => k += 1,
            }
        }
        self.copy(text, start, limit);
        limit
    }

    /// Content of a double-quoted string starting at `start` (after the `"`).
    fn double_quoted(&self, start: usize, limit: usize, text: &mut Vec<u8>) -> usize {
        let mut k = start;
        while k < limit {
            let c = self.b[k];
            let next = self.at(k + 1, limit);
            match c {
                b'"' => return k + 1,
                b'\\' => match next {
                    Some(n @ (b'"' | b'\\' | b'$' | b'`')) => {
                        text.push(n);
                        k += 2;
                    }
                    Some(b'\n') => k += 2,
                    Some(b'\r') if self.at(k + 2, limit) == Some(b'\n') => k += 3,
                    _ => {
                        text.push(b'\\');
                        k += 1;
                    }
                },
                b'$' => {
                    let end = match next {
                        Some(b'{') if self.at(k + 2, limit) == Some(b'{') => {
                            self.gh_expr_end(k, limit).unwrap_or(k + 1)
                        }
                        Some(b'{') => self.skip_balanced(k + 2, limit, Ctx::Brace),
                        Some(b'(') => self.skip_balanced(k + 2, limit, Ctx::Paren),
                        _ => k + 1,
                    };
                    self.copy(text, k, end);
                    k = end;
                }
                b'`' => {
                    let end = if matches!(next, Some(b'"' | b'`')) {
                        k + 2 // PowerShell escape
                    } else {
                        self.backtick_close(k + 1, limit)
                            .map_or(k + 1, |close| close + 1)
                    };
                    let end = end.min(limit);
                    self.copy(text, k, end);
                    k = end;
                }
                _ => {
                    text.push(c);
                    k += 1;
                }
            }
        }
        limit
    }

    /// An unquoted `$...` at `i`; returns the index after it.
    fn dollar(
        &mut self,
        i: usize,
        limit: usize,
        depth: usize,
        text: &mut Vec<u8>,
        deferred: &mut Vec<Command>,
        quoted: &mut bool,
    ) -> usize {
        match self.at(i + 1, limit) {
            Some(b'{') => {
                let end = if self.at(i + 2, limit) == Some(b'{') {
                    // `${{ ... }}`; an unterminated one is literal text.
                    self.gh_expr_end(i, limit).unwrap_or(i + 1)
                } else {
                    self.skip_balanced(i + 2, limit, Ctx::Brace)
                };
                self.copy(text, i, end);
                end
            }
            Some(b'(') if self.at(i + 2, limit) == Some(b'(') => {
                // Arithmetic `$(( ... ))`: no commands inside.
                let end = self.skip_balanced(i + 2, limit, Ctx::Paren);
                self.copy(text, i, end);
                end
            }
            Some(b'(') => self.substitution(i, i + 2, limit, depth, text, deferred),
            Some(b'\'') => {
                // ANSI-C quoting `$'...'`, content kept with its escapes.
                *quoted = true;
                let mut k = i + 2;
                while k < limit && self.b[k] != b'\'' {
                    k += if self.b[k] == b'\\' { 2 } else { 1 };
                }
                let end = k.min(limit);
                self.copy(text, i + 2, end);
                (end + 1).min(limit)
            }
            _ => {
                text.push(b'$');
                i + 1
            }
        }
    }
}

/// `NAME=` / `NAME+=` (the text before an array literal's `(`).
fn is_array_prefix(text: &[u8]) -> bool {
    match text.split_last() {
        Some((b'=', _)) => std::str::from_utf8(text)
            .ok()
            .and_then(assignment_name)
            .is_some(),
        _ => false,
    }
}

fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Words of each command.
    fn texts(script: &str) -> Vec<Vec<String>> {
        commands(script)
            .iter()
            .map(|c| c.words.iter().map(|w| w.text.clone()).collect())
            .collect()
    }

    fn programs(script: &str) -> Vec<String> {
        commands(script)
            .iter()
            .filter_map(|c| c.program().map(str::to_string))
            .collect()
    }

    fn v(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn separators() {
        assert_eq!(
            texts("a 1; b 2 && c || d | e & f\ng"),
            vec![
                v(&["a", "1"]),
                v(&["b", "2"]),
                v(&["c"]),
                v(&["d"]),
                v(&["e"]),
                v(&["f"]),
                v(&["g"])
            ]
        );
        assert_eq!(
            texts("(a; b) && { c; }"),
            vec![v(&["a"]), v(&["b"]), v(&["c"])]
        );
        assert_eq!(texts("a |& b"), vec![v(&["a"]), v(&["b"])]);
        assert_eq!(
            texts("echo {a,b} {} x{"),
            vec![v(&["echo", "{a,b}", "{}", "x{"])]
        );
    }

    #[test]
    fn comments() {
        let s = "# kubectl apply -f x\necho hi # kubectl apply\nfoo a#b\n  # indented comment";
        assert_eq!(texts(s), vec![v(&["echo", "hi"]), v(&["foo", "a#b"])]);
        // PowerShell block comment
        assert_eq!(
            texts("<# kubectl apply\n -f x #>\nWrite-Host hi"),
            vec![v(&["Write-Host", "hi"])]
        );
    }

    #[test]
    fn quotes_and_escapes() {
        let s = r#"echo 'a b' "c $X \" \\ \$ \n" d\ e "x"'y'z"#;
        assert_eq!(
            texts(s),
            vec![v(&["echo", "a b", r#"c $X " \ $ \n"#, "d e", "xyz"])]
        );
        let cmds = commands(s);
        let w = &cmds[0].words;
        assert!(!w[0].quoted && w[1].quoted && w[2].quoted && w[3].quoted);
        assert_eq!(&s[w[1].range.clone()], "'a b'");
        assert_eq!(&s[w[4].range.clone()], r#""x"'y'z"#);
    }

    #[test]
    fn quoted_text_is_never_a_command() {
        assert_eq!(
            programs(r#"echo "kubectl apply -f x; helm install y"; echo 'a && kubectl delete'"#),
            v(&["echo", "echo"])
        );
        assert_eq!(programs(r#""kubectl apply""#), v(&["kubectl apply"]));
        // `$(...)` inside double quotes is kept as text, not tokenized.
        assert_eq!(programs(r#"echo "$(kubectl get pods)""#), v(&["echo"]));
        assert_eq!(
            texts(r#"echo "$(cat "$f")" done"#),
            vec![v(&["echo", r#"$(cat "$f")"#, "done"])]
        );
    }

    #[test]
    fn github_expressions() {
        let s = "if [ ${{ github.event_name == 'push' }} = true ]; then echo ${{ github.event_name == 'push' && 'a b' || 'c d' }}x; fi";
        assert_eq!(
            texts(s),
            vec![
                v(&["[", "${{ github.event_name == 'push' }}", "=", "true", "]"]),
                v(&[
                    "echo",
                    "${{ github.event_name == 'push' && 'a b' || 'c d' }}x"
                ]),
            ]
        );
        let cmds = commands(s);
        let w = &cmds[0].words[1];
        assert_eq!(&s[w.range.clone()], "${{ github.event_name == 'push' }}");
        assert!(!w.quoted);
        // Inside quotes too.
        assert_eq!(
            texts(
                r#"echo "${{ format("{0} x", github.sha) }}" '${{ github.ref == 'refs/heads/main' }}'"#
            ),
            vec![v(&[
                "echo",
                r#"${{ format("{0} x", github.sha) }}"#,
                "${{ github.ref == 'refs/heads/main' }}"
            ])]
        );
        // Unterminated: `$` is literal.
        assert_eq!(texts("echo ${{ a b"), vec![v(&["echo", "${{", "a", "b"])]);
    }

    #[test]
    fn command_substitution_recursion() {
        let s = "TOKEN=$(az aks get-credentials -n x -g y) && echo $TOKEN";
        let cmds = commands(s);
        assert_eq!(cmds.len(), 3);
        assert_eq!(
            cmds[0].words[0].text,
            "TOKEN=$(az aks get-credentials -n x -g y)"
        );
        assert_eq!(cmds[0].program_index(), None);
        assert_eq!(cmds[1].program(), Some("az"));
        assert_eq!(&s[cmds[1].range()], "az aks get-credentials -n x -g y");
        assert_eq!(cmds[2].program(), Some("echo"));

        assert_eq!(
            programs("a $(b $(c) `d`) <(e) >(f)"),
            v(&["a", "b", "c", "d", "e", "f"])
        );
        assert_eq!(programs("x=`kubectl get pods`"), v(&["kubectl"]));
        // Arithmetic, arrays and `${...}` are not commands.
        assert_eq!(
            programs("echo $((1 + $(date +%s))) ${x:-$(y)} ; arr=(kubectl apply)"),
            v(&["echo"])
        );
        assert_eq!(texts("arr=(a b) c"), vec![v(&["arr=(a b)", "c"])]);
        // `)` inside quotes within `$( )`.
        assert_eq!(
            programs(r#"x=$(echo ")" ; kubectl get "a)") ; z"#),
            v(&["echo", "kubectl", "z"])
        );
        // Unterminated `$(` and backticks.
        assert_eq!(programs("x=$(kubectl get pods"), v(&["kubectl"]));
        assert_eq!(texts("echo `foo"), vec![v(&["echo", "`foo"])]);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let s = "$(".repeat(20_000) + &")".repeat(20_000);
        let _ = commands(&s);
        let s = "( ".repeat(40_000) + "a";
        assert_eq!(texts(&s), vec![v(&["a"])]);
        let s = "\"$(".repeat(5_000);
        let _ = commands(&s);
    }

    #[test]
    fn heredocs() {
        let s = "cat <<EOF > k.yaml\nkubectl apply -f x\nEOF\necho done";
        let cmds = commands(s);
        assert_eq!(texts(s), vec![v(&["cat"]), v(&["echo", "done"])]);
        assert_eq!(cmds[0].redirects.len(), 2);
        assert_eq!(cmds[0].redirects[0].op, "<<");
        assert_eq!(cmds[0].redirects[0].target.text, "EOF");
        assert_eq!(cmds[0].redirects[1].op, ">");
        assert_eq!(cmds[0].redirects[1].target.text, "k.yaml");

        let s = "cat <<-'END' | kubectl apply -f -\n\tkubectl delete ns x\n\tEND\nhelm list";
        assert_eq!(programs(s), v(&["cat", "kubectl", "helm"]));
        let s = "cat << \"A\" <<B\nkubectl a\nA\nkubectl b\nB\necho ok";
        assert_eq!(programs(s), v(&["cat", "echo"]));
        // Unterminated heredoc: the rest is data.
        assert_eq!(programs("cat <<EOF\nkubectl apply\n"), v(&["cat"]));
        // Indented terminator is accepted when no exact one exists.
        assert_eq!(
            programs("cat <<EOF\n  kubectl apply\n  EOF\necho x"),
            v(&["cat", "echo"])
        );
        // Here-strings are not heredocs.
        assert_eq!(programs("cat <<< \"$x\"\necho y"), v(&["cat", "echo"]));
        // Heredoc inside a command substitution.
        assert_eq!(
            programs("x=$(cat <<EOF\nkubectl apply\nEOF\n)\necho y"),
            v(&["cat", "echo"])
        );
        // CRLF
        assert_eq!(
            programs("cat <<EOF\r\nkubectl apply\r\nEOF\r\necho y\r\n"),
            v(&["cat", "echo"])
        );
    }

    #[test]
    fn continuations() {
        let s = "kubectl apply \\\n  -f a.yaml \\\n  -n ns\necho x";
        assert_eq!(
            texts(s),
            vec![
                v(&["kubectl", "apply", "-f", "a.yaml", "-n", "ns"]),
                v(&["echo", "x"])
            ]
        );
        let s = "az aks get-credentials `\n  -n x `\r\n  -g y\nWrite-Host done";
        assert_eq!(
            texts(s),
            vec![
                v(&["az", "aks", "get-credentials", "-n", "x", "-g", "y"]),
                v(&["Write-Host", "done"])
            ]
        );
        assert_eq!(texts("ab\\\ncd"), vec![v(&["abcd"])]);
    }

    #[test]
    fn powershell() {
        let s = r#"$content | ForEach-Object {$_ -replace $line,"        image: ${{ inputs.ACRNAME }}.azurecr.io/app:${{ github.run_number }}"} | Set-Content -Path workloads/flask/deployment.yaml"#;
        let cmds = commands(s);
        assert_eq!(cmds.len(), 3);
        assert_eq!(cmds[1].program(), Some("ForEach-Object"));
        assert_eq!(cmds[2].program(), Some("Set-Content"));
        assert_eq!(cmds[2].args()[1].text, "workloads/flask/deployment.yaml");
        // Here-string content is data.
        let s = "$y = @\"\nkubectl apply -f \"x\"\n\"@\nWrite-Host $y";
        assert_eq!(
            texts(s),
            vec![
                v(&["$y", "=", "kubectl apply -f \"x\""]),
                v(&["Write-Host", "$y"])
            ]
        );
        // Escaped quote inside a PowerShell string.
        assert_eq!(
            texts(r#"Write-Host "a`"b" c"#),
            vec![v(&["Write-Host", "a`\"b", "c"])]
        );
        // Script blocks
        assert_eq!(
            programs("if ($x) { kubectl get pods }"),
            v(&["$x", "kubectl"])
        );
    }

    #[test]
    fn redirects() {
        let s = "echo \"KUBECONFIG=x\" >> $GITHUB_ENV 2>&1 &>/dev/null <in 3> three";
        let cmds = commands(s);
        assert_eq!(cmds.len(), 1);
        let r: Vec<(&str, &str)> = cmds[0]
            .redirects
            .iter()
            .map(|r| (r.op.as_str(), r.target.text.as_str()))
            .collect();
        assert_eq!(
            r,
            vec![
                (">>", "$GITHUB_ENV"),
                ("2>&", "1"),
                ("&>", "/dev/null"),
                ("<", "in"),
                ("3>", "three")
            ]
        );
        assert_eq!(cmds[0].words.len(), 2);
        assert_eq!(&s[cmds[0].range()], s);
        let cmds = commands("echo $KC > ~/.kube/config");
        assert_eq!(cmds[0].redirects[0].target.text, "~/.kube/config");
        assert_eq!(texts("echo a>b"), vec![v(&["echo", "a"])]);
        // redirect without target
        let cmds = commands("echo >");
        assert!(cmds[0].redirects.is_empty());
        assert_eq!(programs("exec > >(tee log) 2>&1"), v(&["tee"]));
    }

    #[test]
    fn program_and_wrappers() {
        let p = |s: &str| {
            commands(s)
                .first()
                .and_then(|c| c.program().map(str::to_string))
        };
        assert_eq!(
            p("sudo -u root -E env A=1 -u B kubectl get pods").as_deref(),
            Some("kubectl")
        );
        assert_eq!(
            p("FOO=1 BAR=\"a b\" /usr/local/bin/kubectl get").as_deref(),
            Some("kubectl")
        );
        assert_eq!(
            p("xargs -n1 -I {} kubectl apply -f {}").as_deref(),
            Some("kubectl")
        );
        assert_eq!(
            p("time -p nohup exec -a x command kubectl").as_deref(),
            Some("kubectl")
        );
        assert_eq!(
            p("timeout -s KILL 300 kubectl rollout status").as_deref(),
            Some("kubectl")
        );
        assert_eq!(p("nice -n 5 helm list").as_deref(), Some("helm"));
        assert_eq!(p("export KUBECONFIG=x").as_deref(), Some("export"));
        assert_eq!(p("KUBECONFIG=/tmp/kc"), None);
        assert_eq!(p("sudo"), None);

        let cmds = commands("A=1 B+=2 env C=3 kubectl get pods");
        let c = &cmds[0];
        assert_eq!(c.program_index(), Some(4));
        assert_eq!(
            c.args().iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
            vec!["get", "pods"]
        );
        let a: Vec<&str> = c.assignments().iter().map(|(n, _)| *n).collect();
        assert_eq!(a, vec!["A", "B", "C"]);
        let cmds = commands("KUBECONFIG=/tmp/kc");
        let a = cmds[0].assignments();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].0, "KUBECONFIG");
        assert_eq!(a[0].1.assignment(), Some(("KUBECONFIG", "/tmp/kc")));
        assert!(cmds[0].args().is_empty());
        assert_eq!(assignment_name("1A=x"), None);
        assert_eq!(assignment_name("a[2]=x"), Some("a"));
        assert_eq!(assignment_name("--set=x"), None);
    }

    #[test]
    fn keywords_and_case() {
        assert_eq!(
            programs("if kubectl get ns x; then kubectl apply -f y; elif true; then :; else ! helm list; fi"),
            v(&["kubectl", "kubectl", "true", ":", "helm"])
        );
        assert_eq!(
            programs("while read l; do echo $l; done < f"),
            v(&["read", "echo"])
        );
        assert_eq!(
            programs("(( n = 1 << 2 ))\nfor (( i=0; i<3; i++ )); do kubectl get ns; done"),
            v(&["for", "kubectl"])
        );
        let s = "x=$(case $1 in\n  prod|production) kubectl apply -f p ;;\n  (*) echo no ;;\nesac)\nhelm list";
        assert_eq!(programs(s), v(&["case", "kubectl", "echo", "helm"]));
        // a word `if` not at command start is an argument
        assert_eq!(texts("echo if then"), vec![v(&["echo", "if", "then"])]);
    }

    #[test]
    fn cwd_tracking() {
        let s = "cd workloads/flask && kubectl apply -f deployment.yaml";
        let cmds = commands(s);
        assert_eq!(cmds[0].cwd, None);
        assert_eq!(cmds[1].cwd.as_deref(), Some("workloads/flask"));
        let cwds = |s: &str| commands(s).into_iter().map(|c| c.cwd).collect::<Vec<_>>();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            cwds("cd a\ncd ./b/\nx\ncd ../..\ny\ncd ..\nz"),
            vec![None, s("a"), s("a/b"), s("a/b"), s("."), s("."), s("..")]
        );
        assert_eq!(
            cwds("cd /opt/x\ncd y\na\ncd\nb"),
            vec![None, s("/opt/x"), s("/opt/x/y"), s("/opt/x/y"), None]
        );
        assert_eq!(
            cwds("cd $GITHUB_WORKSPACE/k8s\na\ncd -\nb"),
            vec![
                None,
                s("$GITHUB_WORKSPACE/k8s"),
                s("$GITHUB_WORKSPACE/k8s"),
                None
            ]
        );
        // subshells and substitutions do not leak their cd
        assert_eq!(cwds("(cd sub; a); b"), vec![None, s("sub"), None]);
        assert_eq!(
            cwds("x=$(cd sub && pwd); b"),
            vec![None, None, s("sub"), None]
        );
        assert_eq!(
            cwds("pushd a\npushd b\nx\npopd\ny\npopd\nz"),
            vec![None, s("a"), s("a/b"), s("a/b"), s("a"), s("a"), None]
        );
        assert_eq!(cwds("Set-Location -Path infra\nx"), vec![None, s("infra")]);
        assert_eq!(cwds("cd -P -- k8s\nx"), vec![None, s("k8s")]);
    }

    #[test]
    fn unicode() {
        let s = "echo \"héllo wörld\" 日本語 \\é 'ü' ${{ x }}→ a\u{3000}b";
        let cmds = commands(s);
        let t: Vec<&str> = cmds[0].words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            t,
            vec![
                "echo",
                "héllo wörld",
                "日本語",
                "é",
                "ü",
                "${{ x }}→",
                "a\u{3000}b"
            ]
        );
        for w in &cmds[0].words {
            assert!(s.get(w.range.clone()).is_some());
        }
    }

    #[test]
    fn large_input_is_fast() {
        let unit = "cd a && kubectl apply -f \"x y\" | tee 'z' # c\ncat <<EOF\nbody\nEOF\nx=$(b `c` ${{ d }}) \\\n  e\n";
        let s = unit.repeat(4_000); // ~300 KB
        let start = std::time::Instant::now();
        let cmds = commands(&s);
        assert_eq!(cmds.len(), 4_000 * 7);
        assert!(start.elapsed().as_secs() < 20);
        // Pathological inputs stay linear.
        for unit in [
            "${{ ",
            "`",
            "$(",
            "\"",
            "'",
            "<<E ",
            "\\",
            "<#",
            "@\"\n",
            "case x in ",
            "$'",
            "${",
            "((",
            "))",
        ] {
            let s = unit.repeat(50_000);
            let start = std::time::Instant::now();
            let _ = commands(&s);
            assert!(start.elapsed().as_secs() < 20, "{unit:?} is slow");
        }
    }

    /// Scripts used by the brute-force test below.
    const SAMPLES: &[&str] = &[
        "az acr login -n ${{ env.ACRNAME }} --expose-token\ndocker build . -t $ACRSERVER/$APPNAME:${{ github.sha }}",
        "kubectl create namespace ${{ inputs.NAMESPACE }} --dry-run=client -o yaml | kubectl apply -f -",
        "yq eval '.spec.template.spec.containers[0].image = \"acr6222.azurecr.io/azvoteapp02:${{ github.run_number }}\"' -i workloads/azure-vote/front-deployment.yml",
        "$content | ForEach-Object {$_ -replace $line,\"        image: ${{ inputs.ACRNAME }}.azurecr.io/${{ inputs.APPNAME }}:${{ github.run_number }}\"} | Set-Content workloads/flask/deployment.yaml",
        "TOKEN=$(az aks get-credentials -n x -g y) && echo `date` $((1+2)) ${X:-\"d\"}",
        "cat <<-'EOF' > f\n\tkubectl apply\n\tEOF\ncd a/b && kubectl apply -f c.yaml \\\n -n ns # comment",
        "case \"$1\" in\n a|b) helm upgrade --install x ./chart -f v.yaml ;;\n *) echo \"no ; way\" ;;\nesac",
        "echo 'KUBECONFIG=x' >> \"$GITHUB_ENV\"; arr=(a 'b c'); sed -i -e 's|image: .*|image: r/x:1|g' f.yaml",
        "Write-Host \"a`\"b\" `\n -x y; $h = @'\nkubectl\n'@\n<# c #> x",
        "é\\ü 'ö\" \"ä' `日本` $'\\x41' <(a) >(b) 2>&1 &>> log {a,b} { c; } ( d )",
    ];

    #[test]
    fn never_panics_on_mutations() {
        let inserts = [
            "\"", "'", "`", "\\", "$(", "${{", "${", "<<E\n", ")", "(", "\n", "é", "#", "<#",
            "@\"\n",
        ];
        for s in SAMPLES {
            let cuts: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
            for &i in &cuts {
                check(&s[..i]);
                check(&s[i..]);
                for ins in inserts {
                    check(&format!("{}{}{}", &s[..i], ins, &s[i..]));
                }
            }
            for w in cuts.windows(2) {
                check(&format!("{}{}", &s[..w[0]], &s[w[1]..]));
            }
        }
    }

    /// Tokens random scripts are made of.
    pub(crate) const FUZZ_TOKENS: &[&str] = &[
        " ", "\n", "\r\n", "\t", ";", ";;", "&", "&&", "|", "||", "(", ")", "{", "}", "\"", "'",
        "`", "\\", "$", "$(", "${", "${{", "}}", "$((", "))", "<", ">", ">>", "<<", "<<-", "<<<",
        "2>&1", "&>", "<(", "#", "<#", "#>", "@\"", "\"@", "=", "-", "--", "EOF", "E", "kubectl",
        "apply", "-f", "cd", "..", "/", "case", "in", "esac", "if", "then", "fi", "é", "日本", "x",
        "a=(",
    ];

    /// A deterministic pseudo-random script.
    pub(crate) fn random_script(seed: &mut u64) -> String {
        let mut next = || {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (*seed >> 33) as usize
        };
        let len = next() % 40;
        (0..len)
            .map(|_| FUZZ_TOKENS[next() % FUZZ_TOKENS.len()])
            .collect()
    }

    #[test]
    fn never_panics_on_random_scripts() {
        let mut seed = 42;
        for _ in 0..20_000 {
            check(&random_script(&mut seed));
        }
    }

    fn check(s: &str) {
        for c in commands(s) {
            for w in &c.words {
                assert!(
                    s.get(w.range.clone()).is_some(),
                    "bad range {:?} in {s:?}",
                    w.range
                );
            }
            for r in &c.redirects {
                assert!(
                    s.get(r.target.range.clone()).is_some(),
                    "bad range in {s:?}"
                );
            }
            assert!(s.get(c.range()).is_some());
        }
    }
}
