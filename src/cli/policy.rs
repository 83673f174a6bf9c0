//! `terrace policy test`: run the Rego policies' `test_` rules, as `opa
//! test` does.

use super::session::Ui;
use super::{Failure, Global, Result};
use crate::ops::policies::TestRequest;
use crate::policy::TestOutcome;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the test_ rules of the .rego files beside the project's policies
    /// (exit 1 when one fails; no tests is no failure)
    Test,
}

pub fn run(g: &Global, c: PolicyCommand) -> Result {
    match c {
        PolicyCommand::Test => {
            let ui = Ui::detect();
            let req = TestRequest {
                root: g.project.clone(),
            };
            let results = crate::ops::policies::test(&req)?;
            out!("{}", crate::render::policies::tests(&results, ui.pal));
            let failed = results
                .iter()
                .filter(|r| r.outcome != TestOutcome::Pass)
                .count();
            match failed {
                0 => Ok(()),
                n => Err(Failure::Message(format!(
                    "{n} of {} policy tests did not pass",
                    results.len()
                ))),
            }
        }
    }
}
