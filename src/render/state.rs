//! State views: `state show`, `show --env` and outputs.

use super::style::Palette;
use super::value::hcl;
use crate::address::{InstanceAddr, Mode};
use crate::state::{EnvState, InstanceState, ResourceState};
use std::fmt::Write;

/// One recorded object, as `terraform state show` prints it.
pub fn instance(
    addr: &InstanceAddr,
    res: &ResourceState,
    inst: &InstanceState,
    pal: Palette,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", pal.bold(&format!("# {addr}:")));
    let kind = if res.mode == Mode::Data {
        "data"
    } else {
        "resource"
    };
    let _ = write!(out, "{kind} \"{}\" \"{}\" ", res.type_name, res.name);
    // As `terraform state show`: attributes that are null are left out.
    let shown = match &inst.attributes {
        crate::value::Value::Object(m) => crate::value::Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    };
    out.push_str(&hcl(&shown, 0));
    out.push('\n');
    if !res.dependencies.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            pal.comment(&format!("# depends on: {}", res.dependencies.join(", ")))
        );
    }
    out
}

/// Every recorded object and output of an environment.
pub fn environment(state: &EnvState, pal: Palette) -> String {
    let mut out = String::new();
    for (addr, res, inst) in state.instances() {
        out.push_str(&instance(&addr, res, inst, pal));
        out.push('\n');
    }
    for u in state.unfinished() {
        let _ = writeln!(
            out,
            "{} {} of {} started at {} and never finished\n",
            pal.yellow("Unfinished:"),
            u.action,
            u.address,
            u.started_at
        );
    }
    let text = outputs(state, None, pal);
    if !text.is_empty() {
        let _ = writeln!(out, "Outputs:\n\n{text}");
    }
    out
}

/// Recorded outputs as `config.name = value` lines (`name = value` for one
/// configuration). As in Terraform, an output whose value is null is left
/// out.
pub fn outputs(state: &EnvState, only: Option<&str>, _pal: Palette) -> String {
    let mut out = String::new();
    for (name, cs) in &state.configs {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        for (k, o) in cs
            .outputs
            .iter()
            .filter(|(_, o)| !o.value.unmark().0.is_null())
        {
            let label = if only.is_some() {
                k.clone()
            } else {
                format!("{name}.{k}")
            };
            let value = if o.sensitive {
                "<sensitive>".to_string()
            } else {
                hcl(&o.value, 0)
            };
            let _ = writeln!(out, "{label} = {value}");
        }
    }
    out
}
