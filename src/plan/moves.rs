//! `moved` blocks: which recorded objects take a new address before the
//! plan compares anything, as Terraform does. Statements are applied in
//! order of their chains (`a → b` before `b → c`, so an object at `a`
//! ends at `c`); a move onto an address that already holds an object is
//! not made and is reported. The result is the state as the plan sees it
//! and, per moved object, its previous address.
//!
//! As in Terraform, a statement between a resource and an instance
//! (`from = x`, `to = x[0]`) moves the resource's instance without a key,
//! and adding or removing `count` moves `x` to `x[0]` (or back) by itself
//! for resources that no statement names.

use crate::address::{InstanceAddr, InstanceKey, ResourceAddr};
use crate::config::{Endpoint, Moved};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::eval::ProjectGraph;
use crate::ids::ConfigId;
use crate::state::EnvState;
use std::collections::HashMap;

/// What the `moved` blocks did to the state the plan starts from.
#[derive(Debug, Default)]
pub struct Moves {
    /// New address → the address the object was recorded at.
    pub previous: HashMap<InstanceAddr, InstanceAddr>,
    /// Instances moved away from, with their statement: the definitions
    /// must not declare them any more.
    pub vacated: Vec<(InstanceAddr, Span)>,
}

/// Whether any object may move: a `moved` block, or an implied move.
/// Cheaper than [`resolve`], which copies the state.
pub fn needed(graph: &ProjectGraph<'_>, state: &EnvState) -> bool {
    graph
        .project
        .architectures
        .iter()
        .any(|a| !a.moved.is_empty())
        || graph
            .project
            .configurations
            .keys()
            .any(|c| !implied(graph, c, state).is_empty())
}

/// Checks the `moved` blocks of every configuration and applies them to a
/// copy of `state`.
pub fn resolve(
    graph: &ProjectGraph<'_>,
    state: &EnvState,
    diags: &mut Diagnostics,
) -> (EnvState, Moves) {
    let mut moved = state.clone();
    let mut out = Moves::default();
    for (c, conf) in graph.project.configurations.iter_enumerated() {
        let arch = graph.arch(c);
        let names = graph.names_of(c);
        let declared = |e: &Endpoint| {
            names
                .resources
                .get(&(
                    crate::address::Mode::Managed,
                    e.type_name.clone(),
                    e.name.clone(),
                ))
                .map(|&i| arch.resources[i].span)
        };
        let mut ok = true;
        for (i, m) in arch.moved.iter().enumerate() {
            if m.from.key.is_none()
                && m.to.key.is_none()
                && let Some(at) = declared(&m.from)
            {
                ok = false;
                diags.push(
                    Diagnostic::error(
                        "plan::moved_still_declared",
                        format!(
                            "this moves {} to {}, but {} is still declared",
                            m.from, m.to, m.from
                        ),
                    )
                    .label(m.span, "this move")
                    .label(at, "still declared here")
                    .help(format!(
                        "rename the resource block to {} (or remove the moved block)",
                        m.to
                    )),
                );
            }
            for (j, other) in arch.moved.iter().enumerate().take(i) {
                let same_to = other.to.to_string() == m.to.to_string();
                let same_from = other.from.to_string() == m.from.to_string();
                if same_to || same_from {
                    ok = false;
                    let (what, addr) = if same_to {
                        ("to", &m.to)
                    } else {
                        ("from", &m.from)
                    };
                    diags.push(
                        Diagnostic::error(
                            "plan::ambiguous_move",
                            format!("two moved blocks move {what} {addr}"),
                        )
                        .label(m.span, "this move")
                        .label(arch.moved[j].span, "and this one")
                        .help("an object can move from one address to one other: keep one of them"),
                    );
                }
            }
        }
        let Some(order) = chain_order(&arch.moved, diags) else {
            continue;
        };
        if !ok {
            continue;
        }
        for m in order {
            let from = resource_addr(&conf.name, &m.from);
            let to = resource_addr(&conf.name, &m.to);
            // Between a resource and an instance: the instance without a key.
            let mixed = m.from.key.is_some() != m.to.key.is_some();
            let instances: Vec<InstanceAddr> = if m.from.key.is_some() || mixed {
                let a = from.instance(m.from.key.clone());
                out.vacated.push((a.clone(), m.span));
                vec![a]
            } else {
                moved
                    .configs
                    .get(&conf.name)
                    .and_then(|cs| cs.resource(&from))
                    .map(|r| {
                        r.instances
                            .iter()
                            .map(|i| from.instance(i.index_key.clone()))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            for src in instances {
                let dst = match &m.to.key {
                    Some(k) => to.instance(Some(k.clone())),
                    None if mixed => to.instance(None),
                    None => to.instance(src.key.clone()),
                };
                move_one(&mut moved, &mut out, &src, &dst, m.span, diags);
            }
        }
        for (src, dst, span) in implied(graph, c, &moved) {
            move_one(&mut moved, &mut out, &src, &dst, span, diags);
        }
    }
    (moved, out)
}

/// Terraform's implied moves: a resource that now has `count` takes its
/// recorded instance without a key as `[0]`; one with neither `count` nor
/// `for_each` takes its recorded `[0]` as the instance without a key.
/// Resources that a `moved` block names are left to it.
fn implied(
    graph: &ProjectGraph<'_>,
    c: ConfigId,
    state: &EnvState,
) -> Vec<(InstanceAddr, InstanceAddr, Span)> {
    let arch = graph.arch(c);
    let names = graph.names_of(c);
    let Some(cs) = state.configs.get(&graph.project.configurations[c].name) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in cs.resources.values() {
        if r.mode != crate::address::Mode::Managed
            || arch.moved.iter().any(|m| {
                [&m.from, &m.to]
                    .iter()
                    .any(|e| e.type_name == r.type_name && e.name == r.name)
            })
        {
            continue;
        }
        let Some(&i) = names
            .resources
            .get(&(r.mode, r.type_name.clone(), r.name.clone()))
        else {
            continue;
        };
        let res = &arch.resources[i];
        let has = |k: &Option<InstanceKey>| r.instances.iter().any(|inst| &inst.index_key == k);
        let (from, to) = match (&res.count, &res.for_each) {
            (Some(_), _) => (None, Some(InstanceKey::Int(0))),
            (None, None) => (Some(InstanceKey::Int(0)), None),
            (None, Some(_)) => continue,
        };
        if has(&from) {
            let addr = ResourceAddr {
                config: graph.project.configurations[c].name.clone(),
                mode: r.mode,
                type_name: r.type_name.clone(),
                name: r.name.clone(),
            };
            out.push((addr.instance(from), addr.instance(to), res.span));
        }
    }
    out
}

/// Moves the object at `src` (if any) to `dst` in `state`.
fn move_one(
    state: &mut EnvState,
    out: &mut Moves,
    src: &InstanceAddr,
    dst: &InstanceAddr,
    span: Span,
    diags: &mut Diagnostics,
) {
    if state.instance(src).is_none() {
        return;
    }
    if state.instance(dst).is_some() {
        diags.push(
            Diagnostic::warning(
                "plan::move_blocked",
                format!("{src} is not moved to {dst}: an object is already recorded there"),
            )
            .label(span, "this move")
            .help(format!(
                "remove the object at {dst} first (terrace state rm), or remove this move"
            )),
        );
        return;
    }
    state.move_instance(src, dst);
    let origin = out.previous.remove(src).unwrap_or_else(|| src.clone());
    out.previous.insert(dst.clone(), origin);
}

/// The statements in the order they apply: one moving to X before one
/// moving from X. A cycle is an error.
fn chain_order<'m>(stmts: &'m [Moved], diags: &mut Diagnostics) -> Option<Vec<&'m Moved>> {
    let mut left: Vec<&Moved> = stmts.iter().collect();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        // A statement is ready when no other waiting one moves to its `from`.
        let ready = left.iter().position(|m| {
            !left
                .iter()
                .any(|o| !std::ptr::eq(*o, *m) && overlap(&o.to, &m.from))
        });
        match ready {
            Some(i) => order.push(left.remove(i)),
            None => {
                let mut d = Diagnostic::error(
                    "plan::move_cycle",
                    "these moved blocks form a cycle: each moves to the address another moves from",
                );
                for m in &left {
                    d = d.label(m.span, format!("{} → {}", m.from, m.to));
                }
                diags.push(d.help("remove the move that closes the cycle"));
                return None;
            }
        }
    }
    Some(order)
}

/// Whether two endpoints may name the same object.
fn overlap(a: &Endpoint, b: &Endpoint) -> bool {
    match (&a.key, &b.key) {
        (Some(x), Some(y)) => a.local() == b.local() && x == y,
        _ => a.local() == b.local(),
    }
}

fn resource_addr(config: &str, e: &Endpoint) -> ResourceAddr {
    ResourceAddr {
        config: config.to_string(),
        mode: crate::address::Mode::Managed,
        type_name: e.type_name.clone(),
        name: e.name.clone(),
    }
}
