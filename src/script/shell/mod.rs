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
//!
//! The lexer is split by concern: `lexer` holds its state and the main loop
//! that splits commands at separators and tracks the working directory,
//! `words` reads words (quotes, `$` expansions, substitutions) and
//! `heredoc` skips heredoc bodies and block comments.

use std::ops::Range;

use cursor::{Lexer, Stop};

mod cursor;
mod heredoc;
mod lexer;
mod words;

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Words of each command.
    pub(super) fn texts(script: &str) -> Vec<Vec<String>> {
        commands(script)
            .iter()
            .map(|c| c.words.iter().map(|w| w.text.clone()).collect())
            .collect()
    }

    pub(super) fn programs(script: &str) -> Vec<String> {
        commands(script)
            .iter()
            .filter_map(|c| c.program().map(str::to_string))
            .collect()
    }

    pub(super) fn v(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
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
