//! Reading words: quotes and escapes, `$` expansions, GitHub `${{ }}`
//! expressions, command substitutions (tokenized recursively), PowerShell
//! here-strings, and the verbatim scanner for balanced text.

use super::cursor::{Ctx, Lexer, Stop};
use super::{assignment_name, Command, Word};

/// Nesting limit for recursive tokenization of command substitutions; deeper
/// substitutions are skipped verbatim.
const MAX_DEPTH: usize = 32;

impl Lexer<'_> {
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
    pub(super) fn skip_balanced(&self, start: usize, limit: usize, ctx: Ctx) -> usize {
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
    pub(super) fn read_word(
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
mod tests {
    use crate::script::shell::commands;
    use crate::script::shell::tests::{programs, texts, v};

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
}
