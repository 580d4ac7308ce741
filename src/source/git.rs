//! What files held at a git revision, for `--diff-base`: read with the
//! `git` program's plumbing (`rev-parse`, `cat-file --batch`), which runs
//! nothing from the repository. No diff is asked of git (so no external
//! diff driver, textconv or clean/smudge filter can run): blobs are read raw
//! and compared in-process. git runs with a clean environment (PATH and the
//! user's HOME and XDG_CONFIG_HOME only, so the user's own `safe.directory`
//! still applies), hooks pointed nowhere and fsmonitor off; the plumbing
//! commands used run nothing that a repository's own config could name.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A revision of the repository holding a directory.
#[derive(Debug)]
pub struct GitBase {
    /// The repository's top level, canonical.
    pub toplevel: PathBuf,
    /// The full commit id `rev` names.
    pub commit: String,
}

/// `git` with everything that could run repository-chosen code turned off.
fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env_clear()
        .envs(
            ["PATH", "HOME", "XDG_CONFIG_HOME"]
                .iter()
                .filter_map(|k| std::env::var_os(k).map(|v| (*k, v))),
        )
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
            "--no-pager",
        ])
        .stdin(Stdio::null());
    c
}

/// Runs `git ARGS` in `dir`; its trimmed stdout, or its stderr as the error.
fn output(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = git(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

impl GitBase {
    /// The revision `rev` of the repository holding `dir`. Errors say what
    /// is wrong: not a git checkout, or no such revision.
    pub fn open(dir: &Path, rev: &str) -> Result<GitBase, String> {
        let toplevel = output(dir, &["rev-parse", "--show-toplevel"]).map_err(|e| {
            format!(
                "--diff-base needs a git checkout, and {} is not in one ({e})",
                dir.display()
            )
        })?;
        let spec = format!("{rev}^{{commit}}");
        let commit = output(
            dir,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &spec,
            ],
        )
        .map_err(|_| format!("--diff-base: `{rev}` is not a commit of this repository"))?;
        if commit.is_empty() {
            return Err(format!(
                "--diff-base: `{rev}` is not a commit of this repository"
            ));
        }
        let toplevel = PathBuf::from(toplevel);
        let toplevel = std::fs::canonicalize(&toplevel).unwrap_or(toplevel);
        Ok(GitBase { toplevel, commit })
    }

    /// The contents at this revision of each of `paths` (relative to the
    /// top level, `/`-separated): `None` for a path the revision does not
    /// have (a new file). One `git cat-file --batch` for all of them.
    pub fn blobs(&self, paths: &[String]) -> Result<HashMap<String, Option<Vec<u8>>>, String> {
        let mut out = HashMap::new();
        // A name with a newline cannot be asked for in batch mode: treat it
        // as new, which keeps every finding in it.
        let asked: Vec<&String> = paths.iter().filter(|p| !p.contains('\n')).collect();
        for p in paths.iter().filter(|p| p.contains('\n')) {
            out.insert(p.clone(), None);
        }
        if asked.is_empty() {
            return Ok(out);
        }
        let mut child = git(&self.toplevel)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run git: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("git cat-file: no stdin")?;
        let commit = self.commit.clone();
        let queries: Vec<String> = asked.iter().map(|p| format!("{commit}:{p}\n")).collect();
        // Written from another thread: git answers while it reads, and both
        // pipes are bounded.
        let writer = std::thread::spawn(move || {
            for q in queries {
                if stdin.write_all(q.as_bytes()).is_err() {
                    break;
                }
            }
        });
        let mut reader = BufReader::new(child.stdout.take().ok_or("git cat-file: no stdout")?);
        for p in asked {
            out.insert(p.clone(), read_answer(&mut reader)?);
        }
        let _ = writer.join();
        let _ = child.wait();
        Ok(out)
    }
}

/// One answer of `git cat-file --batch`: `<oid> blob <size>\n<bytes>\n`, or
/// `<query> missing\n` (also for a tree or other non-blob object at the path).
fn read_answer(reader: &mut impl BufRead) -> Result<Option<Vec<u8>>, String> {
    let mut header = String::new();
    reader
        .read_line(&mut header)
        .map_err(|e| format!("git cat-file: {e}"))?;
    let fields: Vec<&str> = header.split_whitespace().collect();
    let size = match fields.as_slice() {
        [_, kind, size] => {
            let size: usize = size
                .parse()
                .map_err(|_| format!("git cat-file: bad header {header:?}"))?;
            if *kind != "blob" {
                let mut skip = vec![0; size + 1];
                reader
                    .read_exact(&mut skip)
                    .map_err(|e| format!("git cat-file: {e}"))?;
                return Ok(None);
            }
            size
        }
        _ if header.trim_end().ends_with(" missing")
            || header.trim_end().ends_with(" ambiguous") =>
        {
            return Ok(None)
        }
        _ => return Err(format!("git cat-file: unexpected answer {header:?}")),
    };
    let mut blob = vec![0; size + 1];
    reader
        .read_exact(&mut blob)
        .map_err(|e| format!("git cat-file: {e}"))?;
    blob.pop();
    Ok(Some(blob))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_answers_are_read_exactly() {
        let mut input: &[u8] =
            b"abc blob 5\nhello\nHEAD:x missing\ndef tree 3\nxyz\nfed blob 0\n\n";
        assert_eq!(read_answer(&mut input).unwrap(), Some(b"hello".to_vec()));
        assert_eq!(read_answer(&mut input).unwrap(), None);
        assert_eq!(read_answer(&mut input).unwrap(), None);
        assert_eq!(read_answer(&mut input).unwrap(), Some(Vec::new()));
        assert!(read_answer(&mut input).is_err());
    }
}
