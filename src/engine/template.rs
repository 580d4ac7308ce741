//! Whether a file that does not parse is a template: text in a template
//! language that is not YAML until rendered (Go templates outside a Helm
//! chart; Jinja2 and its kin, as in Ansible roles' `templates/` folders;
//! Handlebars; ERB). Such a file is skipped and counted, like a chart's,
//! rather than reported as invalid YAML.
//!
//! Only real template syntax counts, where YAML could not have read it: a
//! tag opening a node (a line's first token, a mapping value, a sequence or
//! flow entry) and closed later in the file: `{{ … }}`, `{% tag … %}`,
//! `{# … #}`, `<%= … %>`. Tags inside a quoted scalar, a comment or a block
//! scalar are YAML text; `${{ … }}` (GitHub expressions) and `{VAR}` are
//! not tags. A broken file whose only braces are there is still reported.
//! A line-by-line scan of the tokens that start nodes, not a YAML parser:
//! the file is already known not to parse.

/// Whether `src` holds template syntax YAML could not read (see above).
pub(super) fn is_template(src: &str) -> bool {
    let closers = Closers::of(src);
    // The indentation a block scalar's lines must exceed, while in one.
    let mut block: Option<usize> = None;
    let mut offset = 0;
    for line in src.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let text = line.trim_end_matches(['\n', '\r']);
        let indent = text.len() - text.trim_start_matches(' ').len();
        if text.trim().is_empty() {
            continue;
        }
        if let Some(parent) = block {
            if indent > parent {
                continue;
            }
            block = None;
        }
        match scan(&text[indent..]) {
            Line::Tag { at, closer } if closers.after(closer, start + indent + at + 2) => {
                return true
            }
            Line::BlockScalar { parent } => block = Some(indent + parent),
            _ => {}
        }
    }
    false
}

/// Whether the first parse error lies in a substitution placeholder
/// (`${VAR}`, `${{ values.x }}`): a file that Flux's `postBuild`, envsubst
/// or a scaffolder fills in before anything reads it, and that is only
/// broken because a `{` of a placeholder reads as YAML flow syntax.
pub(super) fn breaks_at_placeholder(src: &str, error: usize) -> bool {
    let error = error.min(src.len());
    let line_start = src[..error].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[error..].find('\n').map_or(src.len(), |i| error + i);
    let line = &src[line_start..line_end];
    let at = error - line_start;
    let mut from = 0;
    while let Some(i) = line[from..].find("${") {
        let open = from + i;
        let Some(len) = line[open..].find('}') else {
            return false;
        };
        // `${{ … }}` closes with two braces.
        let close = open + len + usize::from(line[open + len..].starts_with("}}"));
        if (open..=close + 1).contains(&at) {
            return true;
        }
        from = close + 1;
    }
    false
}

/// Where each closing delimiter last occurs: a tag is closed when its
/// closer occurs after it (tags may span lines, as Jinja comments do).
struct Closers {
    last: [Option<usize>; 4],
}

const CLOSERS: [&str; 4] = ["}}", "%}", "#}", "%>"];

impl Closers {
    fn of(src: &str) -> Self {
        Closers {
            last: CLOSERS.map(|c| src.rfind(c)),
        }
    }

    fn after(&self, closer: usize, pos: usize) -> bool {
        self.last[closer].is_some_and(|at| at >= pos)
    }
}

/// What a line holds, as far as templates go.
enum Line {
    /// A tag opening a node at byte `at`, closed by `CLOSERS[closer]`.
    Tag {
        at: usize,
        closer: usize,
    },
    /// A block scalar indicator: the lines below that are indented more
    /// than `parent` (from the line's first token) are its text.
    BlockScalar {
        parent: usize,
    },
    Other,
}

/// Scans the tokens that start nodes on one line (its indentation removed).
fn scan(line: &str) -> Line {
    let b = line.as_bytes();
    let blank_at = |i: usize| b.get(i).is_none_or(|c| *c == b' ' || *c == b'\t');
    let mut i = 0;
    let mut node_start = true;
    // Where the node a block scalar would belong to starts (a key, a `-`).
    let mut node_col = 0;
    let mut flow = 0usize;
    while i < b.len() {
        if node_start {
            if let Some(closer) = opens_tag(&line[i..]) {
                return Line::Tag { at: i, closer };
            }
            match b[i] {
                b' ' | b'\t' => {}
                b'-' | b'?' if flow == 0 && blank_at(i + 1) => node_col = i,
                b'[' | b'{' => flow += 1,
                // An anchor or a tag: the node follows it.
                b'&' | b'!' => {
                    while !blank_at(i) {
                        i += 1;
                    }
                    continue;
                }
                b'#' => return Line::Other,
                b'|' | b'>' if flow == 0 => return Line::BlockScalar { parent: node_col },
                b'"' | b'\'' => {
                    node_col = i;
                    i = after_quoted(b, i);
                    node_start = false;
                    continue;
                }
                _ => {
                    node_col = i;
                    node_start = false;
                }
            }
            i += 1;
            continue;
        }
        // Inside a plain scalar, or after a quoted one.
        match b[i] {
            // A mapping value follows (in flow, `"a":b` needs no blank).
            b':' if flow > 0 || blank_at(i + 1) => node_start = true,
            b',' | b'[' | b'{' if flow > 0 => {
                flow += usize::from(b[i] != b',');
                node_start = true;
            }
            b']' | b'}' if flow > 0 => flow -= 1,
            b'#' if i > 0 && blank_at(i - 1) => return Line::Other,
            _ => {}
        }
        i += 1;
    }
    Line::Other
}

/// The tag `s` starts with, as an index into `CLOSERS`: `{{`, `{%` and a
/// name (`{% for`, `{%- if`), `{#`, or `<%` and `=`, `-`, `#` or a blank.
fn opens_tag(s: &str) -> Option<usize> {
    if s.starts_with("{{") {
        return Some(0);
    }
    if let Some(rest) = s.strip_prefix("{%") {
        let rest = rest.strip_prefix(['-', '+']).unwrap_or(rest).trim_start();
        return rest
            .starts_with(|c: char| c.is_ascii_alphabetic())
            .then_some(1);
    }
    if s.starts_with("{#") {
        return Some(2);
    }
    let erb = s.strip_prefix("<%")?;
    erb.starts_with(['=', '-', '#', ' ', '\t']).then_some(3)
}

/// The byte after the quoted scalar that starts at `i` (the line's end when
/// it goes on past it). `\` escapes in double quotes; `''` is a quote in
/// single ones.
fn after_quoted(b: &[u8], i: usize) -> usize {
    let quote = b[i];
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' if quote == b'"' => j += 1,
            c if c == quote => {
                if quote == b'\'' && b.get(j + 1) == Some(&b'\'') {
                    j += 1;
                } else {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::{breaks_at_placeholder, is_template};

    #[test]
    fn errors_in_substitution_placeholders() {
        let src = "scrape:\n  - targets: [vault.${CLUSTER_DOMAIN}:8200]\n";
        let at = src.find("{CLUSTER").unwrap();
        assert!(breaks_at_placeholder(src, at));
        assert!(breaks_at_placeholder(src, at + 1));
        // An error elsewhere on a line with a placeholder, or on a line without.
        let src = "a: ${X}\nb: [1, 2\n";
        assert!(!breaks_at_placeholder(src, src.len()));
        let src = "a: ${X} and then: bad\n";
        assert!(!breaks_at_placeholder(src, src.find("bad").unwrap()));
        assert!(!breaks_at_placeholder("", 5));
    }

    #[test]
    fn jinja_tags_opening_nodes_are_templates() {
        for src in [
            // Ansible role templates.
            "data:\n{% for key in keys %}\n  {{ key }}: x\n{% endfor %}\n",
            "{%- if ha -%}\nreplicas: 3\n{% endif %}\n",
            "{%+ raw %}\n",
            "{# a comment #}\nkind: ConfigMap\n",
            "{#\n  a comment over lines\n#}\nkind: ConfigMap\n",
            "metadata:\n  name: {{ app }}-web\n",
            "args:\n  - {{ first }} and more\n",
            "args: [{{ a }}, b]\n",
            "{\"replicas\":{{ n }}}\n",
            "key: &anchor {{ x }}-y\n",
            "? {{ key }}\n: value\n",
            "labels: {{ labels | to_nice_yaml | indent(4) }}\n",
            // Go templates, as skipped before.
            "{{- range $i := until .Count }}\n- name: svc-{{ $i }}\n{{- end }}\n",
            "name: {{ .To.ServiceName }}-gateway\n",
            // ERB.
            "password: <%= ENV['DB'] %>\n<% if prod %>\npool: 5\n<% end %>\n",
        ] {
            assert!(is_template(src), "{src:?}");
        }
    }

    #[test]
    fn braces_yaml_reads_as_text_are_not_templates() {
        for src in [
            // Quoted, single or double (escapes and doubled quotes too).
            "title: '{{ template \"slack.title\" . }}'\n  bad: indent\n",
            "a: \"x \\\" {{ y }}\"\nb: 'it''s {% if x %}'\n",
            "- \"{{ item }}\"\n",
            // Comments.
            "# {{ x }}\n# {% for x in y %}\n",
            "key: value # {% if x %} {{ y }}\n",
            // A block scalar's text, up to its end.
            "script: |\n  {% for x in y %}\n  {{ x }}\n",
            "- |-\n  {{ x }}\n",
            "- name: a\n  run: >\n    {# note #}\n",
            // Inside a plain scalar, and not tags at all.
            "a: x{{ y }}\nb: x<%= z %>\n",
            "run: echo ${{ github.sha }}\nif: ${{ always() }}\n",
            "clusterIP: {SERVICE_IP_PREFIX}.16\n",
            "a: {b: {c: d}}\n",
            // No closer, or a `{%` that is not a statement.
            "a: {{ x\n",
            "a: {% %}\n",
            "a: <%x %>\n",
        ] {
            assert!(!is_template(src), "{src:?}");
        }
    }

    #[test]
    fn a_block_scalar_ends_where_its_indentation_does() {
        let src = "data:\n  script: |\n    {% raw %}\n  name: {{ app }}-cm\n";
        assert!(is_template(src));
        // A sibling key of `- key: |` ends the block too.
        assert!(is_template("- run: |\n    echo\n  name: {{ x }}-y\n"));
        // Blank lines do not end it.
        assert!(!is_template("a: |\n  x\n\n  {{ y }}\n"));
    }

    #[test]
    fn odd_text_does_not_panic() {
        for src in [
            "",
            "\n",
            "'",
            "\"\\",
            "{{",
            "- ",
            "? ",
            "&",
            "é: {{ x }}é",
            "a: [\"x\\\"] {{ }}",
        ] {
            let _ = is_template(src);
        }
    }
}
