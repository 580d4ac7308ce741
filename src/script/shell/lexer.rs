//! The lexer's main loop: splitting a script into simple
//! commands at separators, groups and `case` patterns, attaching their
//! redirections, and tracking the working directory through `cd`, `pushd`
//! and `popd`.

use super::cursor::{Ctx, DirState, Heredoc, Lexer, Stop};
use super::{Command, Redirect, Word};
use crate::source::path::{join_path, normalize_path};

/// Entries kept by `pushd`.
const MAX_DIR_STACK: usize = 64;
/// A longer working directory is deemed unknowable (keeps memory linear on
/// pathological input such as thousands of `cd a`).
const MAX_CWD_LEN: usize = 512;

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

impl Lexer<'_> {
    /// Tokenizes `start..limit` into commands. With `Stop::Paren`, stops at
    /// the first unmatched `)` and returns its index; otherwise returns
    /// `limit`.
    pub(super) fn seq(
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
                i = self.case_pattern(i, limit, depth, &mut in_pattern, &mut case_depth);
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
                    let case = (&mut in_pattern, &mut case_depth);
                    i = self.word(i, limit, depth, &mut cur, &mut out, case);
                }
            }
        }
        self.finish(&mut cur, &mut out);
        (limit, out)
    }

    /// One step inside `case` patterns (`a|b)`: data up to the `)`).
    fn case_pattern(
        &mut self,
        i: usize,
        limit: usize,
        depth: usize,
        in_pattern: &mut bool,
        case_depth: &mut usize,
    ) -> usize {
        match self.b[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b'|' | b'(' | b';' => i + 1,
            b')' => {
                *in_pattern = false;
                i + 1
            }
            b'#' => self.line_end(i, limit),
            _ => {
                let (w, end) = self.read_word(i, limit, depth, &mut Vec::new());
                if !w.quoted && w.text == "esac" {
                    *in_pattern = false;
                    *case_depth = case_depth.saturating_sub(1);
                }
                if end > i {
                    end
                } else {
                    self.next_char(i)
                }
            }
        }
    }

    /// Reads a word at `i` into the current command: keywords are dropped,
    /// and `case WORD in` starts the `case` patterns (`case` holds
    /// `in_pattern` and the `case` nesting depth). Returns where to go on.
    fn word(
        &mut self,
        i: usize,
        limit: usize,
        depth: usize,
        cur: &mut Pending,
        out: &mut Vec<Command>,
        case: (&mut bool, &mut usize),
    ) -> usize {
        let (in_pattern, case_depth) = case;
        let (w, end) = self.read_word(i, limit, depth, &mut cur.deferred);
        if end <= i {
            return self.next_char(i);
        }
        if cur.words.is_empty() && !w.quoted && is_keyword(&w.text) {
            if w.text == "esac" {
                *case_depth = case_depth.saturating_sub(1);
            }
            return end;
        }
        let case_in = !w.quoted
            && w.text == "in"
            && cur.words.len() == 2
            && !cur.words[0].quoted
            && cur.words[0].text == "case";
        cur.words.push(w);
        if case_in {
            self.finish(cur, out);
            *case_depth += 1;
            *in_pattern = true;
        }
        end
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
}

#[cfg(test)]
mod tests {
    use crate::script::shell::commands;
    use crate::script::shell::tests::{programs, texts, v};

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
}
