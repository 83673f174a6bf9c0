//! The plan as text, in Terraform's notation.

use super::diff::Differ;
use super::style::{Palette, Sym};
use crate::address::{InstanceAddr, InstanceKey, Mode};
use crate::plan::{Action, Change, Drift, OutputChange, Plan, Reason};
use crate::value::{Path, Value};
use std::fmt::Write;

/// Renders a whole plan.
pub fn plan(p: &Plan, pal: Palette) -> String {
    let mut out = String::new();
    for w in &p.warnings {
        let _ = writeln!(out, "{} {w}\n", pal.yellow("Warning:"));
    }
    if !p.drift.is_empty() {
        drift(&mut out, p, pal);
    }
    let changes: Vec<&Change> = p.changes.iter().filter(|c| c.is_change()).collect();
    let outputs: Vec<&OutputChange> = p
        .outputs
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .collect();
    if changes.is_empty() && outputs.is_empty() {
        let _ = writeln!(
            out,
            "{} Your infrastructure matches the definitions of environment \"{}\".",
            pal.green("No changes."),
            p.environment
        );
        super::policies::text(&mut out, &p.policies, pal);
        if !p.drift.is_empty() {
            let _ = writeln!(
                out,
                "\nApplying will record the changes made outside terrace in the state."
            );
        }
        return out;
    }
    if !changes.is_empty() {
        legend(&mut out, &changes, pal);
        let _ = writeln!(
            out,
            "terrace will perform the following actions in environment \"{}\":\n",
            p.environment
        );
        for c in &changes {
            change(&mut out, &p.environment, c, pal);
        }
    }
    let s = p.summary();
    let imports = if s.import > 0 {
        format!("{} to import, ", s.import)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{} {imports}{} to add, {} to change, {} to destroy.",
        pal.bold("Plan:"),
        s.add,
        s.change,
        s.destroy
    );
    super::policies::text(&mut out, &p.policies, pal);
    if !outputs.is_empty() {
        let _ = writeln!(out, "\nChanges to Outputs:");
        for o in outputs {
            output(&mut out, o, pal);
        }
    }
    out
}

fn legend(out: &mut String, changes: &[&Change], pal: Palette) {
    let _ = writeln!(
        out,
        "Resource actions are indicated with the following symbols:"
    );
    let mut seen: Vec<(Sym, &str)> = Vec::new();
    for c in changes {
        let entry = match (c.action, c.create_before_destroy) {
            (Action::Create, _) => (Sym::Add, "create"),
            (Action::Update, _) => (Sym::Change, "update in-place"),
            (Action::Delete, _) => (Sym::Remove, "destroy"),
            (Action::Replace, false) => (Sym::Replace, "destroy and then create replacement"),
            (Action::Replace, true) => (Sym::ReplaceCbd, "create replacement and then destroy"),
            (Action::Read, _) => (Sym::Read, "read (data resources)"),
            (Action::NoOp | Action::Forget, _) => continue,
        };
        if !seen.contains(&entry) {
            seen.push(entry);
        }
    }
    seen.sort_by_key(|(s, _)| *s as u8);
    for (s, text) in seen {
        let sym = pal.sym(s);
        let pad = if matches!(s, Sym::Replace | Sym::ReplaceCbd | Sym::Read) {
            ""
        } else {
            "  "
        };
        let _ = writeln!(out, "{pad}{sym} {text}");
    }
    out.push('\n');
}

/// `resource "file" "x"`, as the block header of a change.
fn header(addr: &InstanceAddr) -> String {
    let r = &addr.resource;
    let kind = if r.mode == Mode::Data {
        "data"
    } else {
        "resource"
    };
    format!("{kind} \"{}\" \"{}\"", r.type_name, r.name)
}

pub(super) fn reason_text(c: &Change) -> Option<String> {
    let a = &c.address;
    Some(match c.reason.as_ref()? {
        Reason::NotInConfiguration => {
            format!("because {} is not in the definitions", a.resource.local())
        }
        Reason::ConfigurationRemoved => format!(
            "because configuration \"{}\" is not in the project",
            a.resource.config
        ),
        Reason::CountIndex => match &a.key {
            Some(InstanceKey::Int(i)) => format!("because index [{i}] is out of range for count"),
            _ => "because count no longer reaches it".into(),
        },
        Reason::EachKey => match &a.key {
            Some(k) => format!("because key {k} is not in for_each"),
            None => "because it is no longer expanded by for_each".into(),
        },
        Reason::WrongRepetition => match &a.key {
            Some(InstanceKey::Int(_)) => "because resource does not use count".into(),
            Some(InstanceKey::Str(_)) => "because resource does not use for_each".into(),
            None => "because resource uses count or for_each".into(),
        },
        Reason::Destroy => return None,
        Reason::ReplaceByTriggers => return None,
        Reason::ReplaceByRequest => "as requested with --replace".into(),
    })
}

/// What a change does, in the plan's words (`will be created`), as the
/// heading of each change says it.
pub fn verb(c: &Change) -> &'static str {
    match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::Delete => "will be destroyed",
        Action::Replace => "must be replaced",
        Action::Read => "will be read during apply",
        Action::Forget => "will no longer be managed by terrace, but will not be destroyed",
        Action::NoOp if c.importing.is_some() => "will be imported",
        Action::NoOp => "has moved",
    }
}

/// Renders one change.
pub fn change(out: &mut String, env: &str, c: &Change, pal: Palette) {
    let what = verb(c);
    let sym = match (c.action, c.create_before_destroy) {
        (Action::Create, _) => Sym::Add,
        (Action::Update, _) => Sym::Change,
        (Action::Delete, _) => Sym::Remove,
        (Action::Replace, false) => Sym::Replace,
        (Action::Replace, true) => Sym::ReplaceCbd,
        (Action::Read, _) => Sym::Read,
        (Action::Forget, _) => Sym::Forget,
        (Action::NoOp, _) if c.importing.is_some() => Sym::Same,
        (Action::NoOp, _) => match &c.previous_address {
            Some(prev) => {
                let _ = writeln!(
                    out,
                    "  {}",
                    pal.bold(&format!("# {env}/{prev} has moved to {env}/{}", c.address))
                );
                let _ = writeln!(out, "    {} {{", header(&c.address));
                Differ {
                    out,
                    pal,
                    force: &[],
                    show_unchanged: false,
                }
                .attributes(6, c.before.as_ref(), c.before.as_ref(), &Path::root());
                let _ = writeln!(out, "    }}\n");
                return;
            }
            None => return,
        },
    };
    let _ = writeln!(
        out,
        "  {}",
        pal.bold(&format!("# {env}/{} {what}", c.address))
    );
    if let Some(prev) = &c.previous_address {
        let _ = writeln!(
            out,
            "  {}",
            pal.comment(&format!("# (moved from {env}/{prev})"))
        );
    }
    if let Some(id) = &c.importing {
        let _ = writeln!(
            out,
            "  {}",
            pal.comment(&format!("# (imported from {id:?})"))
        );
    }
    if c.action == Action::Forget {
        let _ = writeln!(
            out,
            "  {}",
            pal.comment("# (destroy = false is set in the removed block)")
        );
    } else if c.reason == Some(Reason::ReplaceByTriggers) {
        let _ = writeln!(
            out,
            "  {}",
            pal.comment("# (because of changes in replace_triggered_by)")
        );
    } else if let Some(r) = reason_text(c) {
        let _ = writeln!(out, "  {}", pal.comment(&format!("# ({r})")));
    }
    if c.action == Action::Replace && !c.replace_paths.is_empty() {
        let paths: Vec<String> = c.replace_paths.iter().map(Path::to_string).collect();
        let _ = writeln!(
            out,
            "  {}",
            pal.comment(&format!(
                "# (because {} changed and forces replacement)",
                paths.join(", ")
            ))
        );
    }
    let lead = match sym {
        Sym::Replace | Sym::ReplaceCbd => format!("{} ", pal.sym(sym)),
        Sym::Read | Sym::Forget => format!(" {} ", pal.sym(sym)),
        _ => format!("  {} ", pal.sym(sym)),
    };
    let _ = writeln!(out, "{lead}{} {{", header(&c.address));
    let (before, after) = match c.action {
        Action::Create | Action::Read => (None, c.after.as_ref()),
        Action::Delete => (c.before.as_ref(), None),
        Action::Forget => (c.before.as_ref(), c.before.as_ref()),
        _ => (c.before.as_ref(), c.after.as_ref()),
    };
    Differ {
        out,
        pal,
        force: &c.replace_paths,
        show_unchanged: false,
    }
    .attributes(6, before, after, &Path::root());
    let _ = writeln!(out, "    }}\n");
}

fn drift(out: &mut String, p: &Plan, pal: Palette) {
    let _ = writeln!(
        out,
        "{}\n",
        pal.bold("Note: Objects have changed outside of terrace")
    );
    let _ = writeln!(
        out,
        "terrace detected the following changes made outside of terrace since the last apply:\n"
    );
    for d in &p.drift {
        drift_entry(out, &p.environment, d, pal);
    }
    let _ = writeln!(
        out,
        "Unless you have made equivalent changes to the definitions, the actions below undo or respond to these changes.\n"
    );
    let _ = writeln!(out, "{}\n", "─".repeat(77));
}

pub(super) fn drift_entry(out: &mut String, env: &str, d: &Drift, pal: Palette) {
    let (what, sym) = match &d.after {
        Some(_) => ("has changed", Sym::Change),
        None => ("has been deleted", Sym::Remove),
    };
    let _ = writeln!(
        out,
        "  {}",
        pal.bold(&format!("# {env}/{} {what}", d.address))
    );
    let _ = writeln!(out, "  {} {} {{", pal.sym(sym), header(&d.address));
    Differ {
        out,
        pal,
        force: &[],
        show_unchanged: false,
    }
    .attributes(6, Some(&d.before), d.after.as_ref(), &Path::root());
    let _ = writeln!(out, "    }}\n");
}

pub(super) fn output(out: &mut String, o: &OutputChange, pal: Palette) {
    let sym = match o.action {
        Action::Create => Sym::Add,
        Action::Update => Sym::Change,
        Action::Delete => Sym::Remove,
        _ => return,
    };
    let shown = |v: &Value| -> String {
        if o.sensitive || v.contains_sensitive() {
            "(sensitive value)".into()
        } else {
            match v {
                Value::String(s) => super::value::quoted(s),
                other => other.to_string(),
            }
        }
    };
    let text = match (o.action, &o.before, &o.after) {
        (Action::Update, Some(b), Some(a)) => format!("{} -> {}", shown(b), shown(a)),
        (Action::Delete, Some(b), _) => format!("{} -> null", shown(b)),
        (_, _, Some(a)) => shown(a),
        _ => "null".into(),
    };
    let _ = writeln!(
        out,
        "  {} {}.{} = {text}",
        pal.sym(sym),
        o.configuration,
        o.name
    );
}
