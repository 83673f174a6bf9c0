//! `moved` blocks: which recorded objects take a new address before the
//! plan compares anything, as Terraform does. Statements are applied in
//! order of their chains (`a → b` before `b → c`, so an object at `a`
//! ends at `c`); a move onto an address that already holds an object is
//! not made and is reported. The result is the state as the plan sees it
//! and, per moved object, its previous address.

use crate::address::{InstanceAddr, ResourceAddr};
use crate::config::{Endpoint, Moved};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::eval::ProjectGraph;
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

/// Checks the `moved` blocks of every configuration and applies them to a
/// copy of `state`.
pub fn resolve(
    graph: &ProjectGraph<'_>,
    state: &EnvState,
    diags: &mut Diagnostics,
) -> (EnvState, Moves) {
    let mut moved = state.clone();
    let mut out = Moves::default();
    for (c, conf) in graph.project.configurations.iter().enumerate() {
        let arch = graph.arch(c);
        if arch.moved.is_empty() {
            continue;
        }
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
            let instances: Vec<InstanceAddr> = match &m.from.key {
                Some(k) => {
                    let a = from.instance(Some(k.clone()));
                    out.vacated.push((a.clone(), m.span));
                    vec![a]
                }
                None => moved
                    .configs
                    .get(&conf.name)
                    .and_then(|cs| cs.resource(&from))
                    .map(|r| {
                        r.instances
                            .iter()
                            .map(|i| from.instance(i.index_key.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            for src in instances {
                let dst = match &m.to.key {
                    Some(k) => to.instance(Some(k.clone())),
                    None => to.instance(src.key.clone()),
                };
                move_one(&mut moved, &mut out, &src, &dst, m.span, diags);
            }
        }
    }
    (moved, out)
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
    let Some(inst) = state.instance(src) else {
        return;
    };
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
    let attributes = inst.attributes.clone();
    let deps = state
        .configs
        .get(&src.resource.config)
        .and_then(|c| c.resource(&src.resource))
        .map(|r| r.dependencies.clone());
    state.remove_instance(src);
    state.set_instance(dst, attributes, deps);
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
