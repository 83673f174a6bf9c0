//! `terrace policy test`: the Rego files' `test_` rules, run as `opa test`
//! runs them. A test passes when its rule is defined and not `false`.

use super::engine::RegoError;
use std::path::{Path, PathBuf};

/// How one test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestOutcome {
    Pass,
    /// Undefined or `false`.
    Fail,
    /// Evaluation failed.
    Error,
}

/// One `test_` rule's result.
#[derive(Debug, Clone)]
pub struct TestResult {
    /// The Rego file, as shown to the user.
    pub file: String,
    /// `data.PACKAGE.test_NAME`.
    pub rule: String,
    pub outcome: TestOutcome,
    /// The error, for [`TestOutcome::Error`].
    pub message: Option<String>,
}

/// A Rego file that could not be read or compiled: no test runs then, as
/// with `opa test`.
#[derive(Debug, thiserror::Error)]
#[error("{file}{at}: {message}", at = at.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct TestError {
    pub file: String,
    pub at: Option<(usize, usize)>,
    pub message: String,
}

/// Loads every `.rego` file of `files` (shown relative to `root`) into one
/// engine, as `opa test` loads the files it is given, and runs every
/// `test_` rule in file order. No test found is an empty list.
pub fn test(root: &Path, files: &[PathBuf]) -> Result<Vec<TestResult>, TestError> {
    let mut engine = regorus::Engine::new();
    let mut found: Vec<(String, String)> = Vec::new();
    for path in files {
        let name = crate::diag::display_name(path, root);
        let text = crate::bounded::read_limited(path, crate::bounded::DEFINITION_LIMIT)
            .map_err(|e| e.to_string())
            .and_then(|b| String::from_utf8(b).map_err(|_| "it is not UTF-8 text".to_string()))
            .map_err(|message| TestError {
                file: name.clone(),
                at: None,
                message: format!("cannot read it: {message}"),
            })?;
        let package = engine.add_policy(name.clone(), text.clone()).map_err(|e| {
            let e = RegoError::from(&e);
            TestError {
                file: name.clone(),
                at: e.at,
                message: e.message,
            }
        })?;
        let declared = engine.get_modules().last().map(|m| super::engine::rules(m));
        for rule in test_rules(declared.unwrap_or_default()) {
            let full = format!("{package}.{rule}");
            if !found.iter().any(|(_, r)| *r == full) {
                found.push((name.clone(), full));
            }
        }
    }
    Ok(found
        .into_iter()
        .map(|(file, rule)| {
            let (outcome, message) = match engine.eval_query(rule.clone(), false) {
                Ok(r) => match r.result.first().and_then(|r| r.expressions.first()) {
                    Some(e) if e.value != regorus::Value::from(false) => (TestOutcome::Pass, None),
                    _ => (TestOutcome::Fail, None),
                },
                Err(e) => (TestOutcome::Error, Some(RegoError::from(&e).message)),
            };
            TestResult {
                file,
                rule,
                outcome,
                message,
            }
        })
        .collect())
}

/// The names of the `test_` rules among a Rego file's `declared` rules
/// (see [`super::engine::rules`]): functions (`test_x(a)`) are no tests.
fn test_rules(declared: Vec<(String, bool)>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (name, function) in declared {
        if name.starts_with("test_") && !function && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_rules_are_the_rules_named_test_wherever_written() {
        let text = "package p\nimport rego.v1\ntest_a if { true }\ntest_a if { 1 }\n\ttest_inner := 1\ntest_f(x) := x\ntest_b := true\nnot_a_test := 1\n";
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("p.rego".into(), text.into())
            .expect("Rego");
        let declared = super::super::engine::rules(&engine.get_modules()[0]);
        assert_eq!(test_rules(declared), vec!["test_a", "test_inner", "test_b"]);
    }
}
