//! What a schema cannot say about a workflow: `needs` must name jobs of the
//! same workflow, and jobs must not wait on each other in a cycle.

use std::collections::HashMap;

use crate::config::closest;
use crate::model::workflow::Workflow;
use crate::yaml::{NodeRef, Span};

/// A problem of the job graph: where, what, and what to do.
pub struct GraphProblem {
    pub span: Span,
    pub message: String,
    pub help: Option<&'static str>,
}

/// The `needs` entries of each job, in order: (job id, needed id, its node).
fn needs<'d, 's>(wf: &Workflow<'d, 's>) -> Vec<(&'d str, &'d str, NodeRef<'d, 's>)> {
    let mut out = Vec::new();
    for job in &wf.jobs {
        let Some(n) = job.node.get("needs") else {
            continue;
        };
        let items: Vec<NodeRef> = if n.is_seq() {
            n.items().collect()
        } else {
            vec![n]
        };
        for item in items {
            if let Some(t) = item.as_string() {
                out.push((job.id, t, item));
            }
        }
    }
    out
}

pub fn check(wf: &Workflow) -> Vec<GraphProblem> {
    let mut out = Vec::new();
    let ids: Vec<&str> = wf.jobs.iter().map(|j| j.id).collect();
    let edges = needs(wf);
    let mut graph: HashMap<&str, Vec<(&str, NodeRef)>> = HashMap::new();
    for &(job, needed, node) in &edges {
        if needed.contains("${{") {
            continue;
        }
        if !ids.contains(&needed) {
            let hint = closest(needed, &ids)
                .map(|c| format!("; did you mean \"{c}\"?"))
                .unwrap_or_default();
            let message = format!(
                "job \"{job}\" needs \"{needed}\", which is not a job of this workflow{hint}"
            );
            out.push(GraphProblem {
                span: node.span(),
                message,
                help: None,
            });
            continue;
        }
        graph.entry(job).or_default().push((needed, node));
    }
    cycles(&ids, &graph, &mut out);
    out
}

/// Reports each cycle once, at the `needs` entry that closes it.
fn cycles(ids: &[&str], graph: &HashMap<&str, Vec<(&str, NodeRef)>>, out: &mut Vec<GraphProblem>) {
    // 0: not seen, 1: on the current path, 2: done.
    let mut state: HashMap<&str, u8> = HashMap::new();
    for &start in ids {
        if state.get(start).copied().unwrap_or(0) != 0 {
            continue;
        }
        // Iterative depth-first search: (job, next edge to follow).
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        state.insert(start, 1);
        while let Some(&mut (job, ref mut next)) = stack.last_mut() {
            let edges = graph.get(job).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(&(to, node)) = edges.get(*next) {
                *next += 1;
                match state.get(to).copied().unwrap_or(0) {
                    0 => {
                        state.insert(to, 1);
                        stack.push((to, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(j, _)| *j == to).unwrap_or(0);
                        let mut path: Vec<String> = stack[from..]
                            .iter()
                            .map(|(j, _)| format!("\"{j}\""))
                            .collect();
                        path.push(format!("\"{to}\""));
                        let message =
                            format!("jobs wait on each other in a cycle: {}", path.join(" → "));
                        out.push(GraphProblem {
                            span: node.span(),
                            message,
                            help: Some(
                                "no job of a cycle ever starts: remove one of these `needs`",
                            ),
                        });
                    }
                    _ => {}
                }
            } else {
                state.insert(job, 2);
                stack.pop();
            }
        }
    }
}
