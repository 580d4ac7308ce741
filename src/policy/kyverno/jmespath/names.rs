//! The names of the functions an expression may call, and how many
//! arguments each takes: checked when an expression is compiled.

/// (name, least arguments, most arguments; `usize::MAX`: any).
const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("abs", 1, 1),
    ("add", 2, 2),
    ("avg", 1, 1),
    ("base64_decode", 1, 1),
    ("base64_encode", 1, 1),
    ("ceil", 1, 1),
    ("compare", 2, 2),
    ("contains", 2, 2),
    ("divide", 2, 2),
    ("ends_with", 2, 2),
    ("equal_fold", 2, 2),
    ("floor", 1, 1),
    ("join", 2, 2),
    ("keys", 1, 1),
    ("label_match", 2, 2),
    ("length", 1, 1),
    ("lookup", 2, 2),
    ("max", 1, 1),
    ("merge", 1, usize::MAX),
    ("min", 1, 1),
    ("modulo", 2, 2),
    ("multiply", 2, 2),
    ("not_null", 1, usize::MAX),
    ("parse_json", 1, 1),
    ("parse_yaml", 1, 1),
    ("pattern_match", 2, 2),
    ("regex_match", 2, 2),
    ("regex_replace_all", 3, 3),
    ("regex_replace_all_literal", 3, 3),
    ("replace", 4, 4),
    ("replace_all", 3, 3),
    ("reverse", 1, 1),
    ("round", 2, 2),
    ("sort", 1, 1),
    ("split", 2, 2),
    ("starts_with", 2, 2),
    ("subtract", 2, 2),
    ("sum", 1, 1),
    ("to_array", 1, 1),
    ("to_lower", 1, 1),
    ("to_number", 1, 1),
    ("to_string", 1, 1),
    ("to_upper", 1, 1),
    ("trim", 2, 2),
    ("trim_prefix", 2, 2),
    ("truncate", 2, 2),
    ("type", 1, 1),
    ("values", 1, 1),
];

/// Functions Kyverno has that depend on the clock, randomness, images or
/// certificates: a rule calling one is not decided offline.
pub(crate) const NOT_OFFLINE: &[&str] = &[
    "image_normalize",
    "is_external_url",
    "map",
    "max_by",
    "min_by",
    "random",
    "semver_compare",
    "sort_by",
    "time_add",
    "time_after",
    "time_before",
    "time_between",
    "time_diff",
    "time_now",
    "time_now_utc",
    "time_parse",
    "time_since",
    "time_to_cron",
    "time_truncate",
    "time_utc",
    "x509_decode",
    "items",
    "object_from_lists",
    "path_canonicalize",
    "sha256",
];

/// Whether `name` is a function taking `argc` arguments.
pub(crate) fn check(name: &str, argc: usize) -> Result<(), String> {
    if NOT_OFFLINE.contains(&name) {
        return Ok(());
    }
    let Some((_, lo, hi)) = FUNCTIONS.iter().find(|(n, _, _)| *n == name) else {
        return Err(format!("unknown function `{name}()`"));
    };
    if argc < *lo || argc > *hi {
        return Err(format!(
            "`{name}()` takes {lo} to {hi} arguments, not {argc}"
        ));
    }
    Ok(())
}
