//! Data the lexer skips between commands: heredoc bodies (up to their
//! terminator line) and PowerShell block comments `<# ... #>`.

use super::cursor::{Heredoc, Lexer};

impl Lexer<'_> {
    /// Skips the bodies of the pending heredocs, starting at line `start`.
    pub(super) fn skip_heredocs(&mut self, start: usize, limit: usize) -> usize {
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
    pub(super) fn block_comment(&self, i: usize, limit: usize) -> usize {
        if self.last_block_close.is_none_or(|c| c < i + 2) {
            return limit;
        }
        self.src
            .get(i + 2..limit)
            .and_then(|s| s.find("#>"))
            .map_or(limit, |p| i + 2 + p + 2)
    }
}

#[cfg(test)]
mod tests {
    use crate::script::shell::commands;
    use crate::script::shell::tests::{programs, texts, v};

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
}
