//! `terrace console --env ENV [CONFIG]`: evaluate expressions against an
//! environment's state, as `terraform console` does.
//!
//! Every resource takes its recorded value; variables, locals, inputs and
//! outputs are evaluated from those. Without CONFIG, expressions are in the
//! project file's scope (`configuration.NAME.outputs.X`, `var.NAME`,
//! `environment.inputs.X`); with it, in that configuration's architecture
//! (`var.X`, `local.X`, `TYPE.NAME`, `data.TYPE.NAME`). Nothing is
//! written and no lock is taken.

use super::session::{self, Loaded};
use super::{Failure, Global, Result};
use crate::config::Expr;
use crate::config::expr::Src;
use crate::diag::FileId;
use crate::eval::{EnvValues, Missing};
use crate::ids::ConfigId;
use crate::value::Value;
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// The environment whose state the expressions read
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Evaluate inside this configuration (its var., local. and resources)
    #[arg(value_name = "CONFIG")]
    pub config: Option<String>,
    #[command(flatten)]
    pub vars: super::vars::VarFlags,
}

pub fn run(g: &Global, a: ConsoleArgs) -> Result {
    let mut loaded = Loaded::load(g)?;
    // Values not given are unknown, not an error: the console reads state.
    super::vars::resolve(&mut loaded, &a.vars, Missing::Unknown)?;
    let graph = loaded.graph()?;
    let env = loaded.environment(&a.env)?;
    let config = match &a.config {
        Some(name) => Some(
            loaded
                .project
                .configurations
                .position(|c| c.name == *name)
                .ok_or_else(|| {
                    let names = loaded
                        .project
                        .configurations
                        .iter()
                        .map(|c| c.name.as_str());
                    let hint = crate::diag::did_you_mean(name, names)
                        .map(|s| format!(" (did you mean \"{s}\"?)"))
                        .unwrap_or_default();
                    Failure::Message(format!("there is no configuration \"{name}\"{hint}"))
                })?,
        ),
        None => None,
    };
    let state = session::load_state(&*loaded.store(&env.name))?;
    let values = EnvValues::from_state(&graph, env, &loaded.vars, &state, jiff::Timestamp::now())
        .map_err(|d| Failure::from(loaded.error(d)))?;
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut line = String::new();
    let mut input = stdin.lock();
    loop {
        if interactive {
            out!("> ");
            let _ = std::io::stdout().flush();
        }
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(Failure::Message(format!("cannot read standard input: {e}"))),
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if interactive && matches!(text, "exit" | "quit") {
            break;
        }
        match evaluate(&values, config, text) {
            Ok(v) => outln!("{}", crate::render::console_value(&v)),
            Err(message) => {
                errln!("{} {message}", loaded.ui.pal_err.red("Error:"));
                // Like terraform console, a script stops at its first error.
                if !interactive {
                    return Err(Failure::Reported);
                }
            }
        }
    }
    Ok(())
}

fn evaluate(
    values: &EnvValues<'_, '_>,
    config: Option<ConfigId>,
    text: &str,
) -> std::result::Result<Value, String> {
    let parsed = hcl::edit::parser::parse_expr(text).map_err(|e| {
        format!(
            "{} (in the expression {text:?})",
            e.message().lines().next().unwrap_or("syntax error")
        )
    })?;
    // Spans point at no project file: messages carry no source lines.
    let expr = Expr::from_hcl(&parsed, Src::file(FileId(u32::MAX)));
    let result = match config {
        Some(c) => values.eval_in(c, None, &expr),
        None => values.eval_project(&expr),
    };
    result.map_err(|e| {
        let d = e.into_diagnostic();
        match d.help {
            Some(h) => format!("{}\n  help: {h}", d.message),
            None => d.message,
        }
    })
}
