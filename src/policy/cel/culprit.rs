//! Which container a failing validation fails on, so its finding points at
//! the container rather than at the object's `kind`. Found by evaluating
//! the expression again on copies of the object whose pod spec holds no
//! container, then one container at a time: if it passes with none and
//! fails with one, that one is the culprit. Only on a failure, only for a
//! pod or a pod controller's template, only when the expression names
//! containers; the copies share everything but the maps on the pod spec's
//! path.

use std::sync::Arc;

use cel::common::types::{CelList, CelMap, CelMapKey};
use cel::common::value::Val;
use cel::{Context, Value};

use super::expr::{Budget, Expr};
use super::shared::{SharedList, SharedMap};
use super::subject::Subject;
use crate::yaml::{unquoted_span, Span};

/// The container lists of a pod spec, in the order they are searched.
const LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// Where the pod spec is in the object the expression reads; `template`:
/// the expression judges a pod controller's pod template.
fn pod_spec_path(subject: &Subject, template: bool) -> Option<&'static [&'static str]> {
    match (template, subject.resource.kind.as_str()) {
        (false, "Pod") => Some(&["spec"]),
        (true, "CronJob") => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        (true, _) => Some(&["spec", "template", "spec"]),
        (false, _) => None,
    }
}

/// `v` with the map at `path` replaced by `with`.
fn replaced(v: &(dyn Val + 'static), path: &[&str], with: Box<dyn Val>) -> Option<Box<dyn Val>> {
    let Some((first, rest)) = path.split_first() else {
        return Some(with);
    };
    let map = v.downcast_ref::<CelMap>()?;
    let key = CelMapKey::from(first.to_string());
    let child = replaced(map.inner().get(&key)?.as_ref(), rest, with)?;
    let mut entries = map.inner().clone();
    entries.insert(key, child);
    Some(Box::new(SharedMap::new(CelMap::from(entries))))
}

/// The pod spec with each container list present set to `pick`'s choice.
fn spec_with(spec: &CelMap<'static>, pick: impl Fn(&str) -> Vec<Box<dyn Val>>) -> Box<dyn Val> {
    let mut entries = spec.inner().clone();
    for list in LISTS {
        let key = CelMapKey::from(list.to_string());
        if entries.contains_key(&key) {
            let items = SharedList::new(CelList::from(pick(list)));
            entries.insert(key, Box::new(items));
        }
    }
    Box::new(SharedMap::new(CelMap::from(entries)))
}

fn passes(
    expr: &Expr,
    object: Box<dyn Val>,
    ctx: &mut Context<'_, 'static>,
    budget: &Arc<Budget>,
) -> bool {
    ctx.add_variable_as_val("object", object);
    matches!(expr.eval(ctx, budget), Ok(Value::Bool(true)))
}

/// The span of the first container `expr` fails on, if one is found
/// (`template`: see [`pod_spec_path`]).
/// `ctx` holds the object on return as on entry.
pub fn failing_container(
    expr: &Expr,
    (subject, template): (&Subject, bool),
    ctx: &mut Context<'_, 'static>,
    budget: &Arc<Budget>,
) -> Option<Span> {
    if !expr.source.contains("ontainers") {
        return None;
    }
    let path = pod_spec_path(subject, template)?;
    let spec_node = subject.node.path(path)?;
    let object = subject.object().ok()?;
    let found = search(expr, object.as_ref(), path, ctx, budget);
    ctx.add_variable_as_val("object", object);
    let (list, i) = found?;
    let item = spec_node.get(list)?.resolve().items().nth(i)?;
    Some(item.get("name").map_or(item.span(), unquoted_span))
}

/// The list and index of the first container `expr` fails on alone.
fn search(
    expr: &Expr,
    object: &(dyn Val + 'static),
    path: &[&str],
    ctx: &mut Context<'_, 'static>,
    budget: &Arc<Budget>,
) -> Option<(&'static str, usize)> {
    let spec = path
        .iter()
        .try_fold(object, |v, k| {
            let map = v.downcast_ref::<CelMap>()?;
            map.inner()
                .get(&CelMapKey::from(k.to_string()))
                .map(|b| b.as_ref())
        })?
        .downcast_ref::<CelMap>()?;
    let none = replaced(object, path, spec_with(spec, |_| Vec::new()))?;
    if !passes(expr, none, ctx, budget) {
        return None;
    }
    for list in LISTS {
        let Some(items) = spec
            .inner()
            .get(&CelMapKey::from(list.to_string()))
            .and_then(|l| l.downcast_ref::<CelList>())
        else {
            continue;
        };
        for (i, item) in items.inner().iter().enumerate() {
            let one = spec_with(spec, |l| {
                if l == list {
                    vec![item.clone()]
                } else {
                    Vec::new()
                }
            });
            if !passes(expr, replaced(object, path, one)?, ctx, budget) {
                return Some((list, i));
            }
        }
    }
    None
}
