//! A plan as plain data: what will change, from which state, under which
//! definitions. Saved plans are this, as JSON; apply obeys nothing else.

use crate::address::InstanceAddr;
use crate::value::{Path, Value};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// The saved-plan format this terrace writes.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// What happens to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Delete and create again (create first with `create_before_destroy`).
    Replace,
    Delete,
    /// A data source read during apply, because its arguments are not known before.
    Read,
    /// Dropped from state without being destroyed (`removed` with
    /// `lifecycle { destroy = false }`).
    Forget,
}

/// Why an object is deleted or replaced, beyond "its arguments changed".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Its resource block is gone from the definitions.
    NotInConfiguration,
    /// Its configuration is gone from the project.
    ConfigurationRemoved,
    /// `count` no longer reaches its index.
    CountIndex,
    /// Its key is no longer in `for_each`.
    EachKey,
    /// Its kind of key no longer fits: the resource switched between
    /// `count`, `for_each` and neither.
    WrongRepetition,
    /// `plan --destroy`.
    Destroy,
    /// A reference in `lifecycle.replace_triggered_by` changes.
    ReplaceByTriggers,
    /// `--replace ADDR`.
    ReplaceByRequest,
}

/// One planned change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    #[serde(serialize_with = "ser_addr", deserialize_with = "de_addr")]
    pub address: InstanceAddr,
    pub action: Action,
    /// The object now (after refresh); none when it does not exist yet.
    pub before: Option<Value>,
    /// The object after apply, unknown where only apply can tell; none
    /// when it is deleted.
    pub after: Option<Value>,
    /// Attributes whose change forces the replacement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace_paths: Vec<Path>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Where the object was recorded before a `moved` block moved it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_addr",
        deserialize_with = "de_opt_addr"
    )]
    pub previous_address: Option<InstanceAddr>,
    /// The id an `import` block adopts this object by; `before` is the
    /// object as read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importing: Option<String>,
}

impl Change {
    /// Whether applying it does anything: an action, or a move.
    pub fn is_change(&self) -> bool {
        self.action != Action::NoOp || self.previous_address.is_some() || self.importing.is_some()
    }

    /// Whether the new object is planned from scratch, not from the old
    /// one: a replacement asked for (`--replace`) or triggered
    /// (`replace_triggered_by`).
    pub fn plans_fresh(&self) -> bool {
        matches!(
            self.reason,
            Some(Reason::ReplaceByTriggers | Reason::ReplaceByRequest)
        )
    }
}

/// An object that changed outside terrace since the last apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    #[serde(serialize_with = "ser_addr", deserialize_with = "de_addr")]
    pub address: InstanceAddr,
    /// As recorded in state.
    pub before: Value,
    /// As read now; none when it no longer exists.
    pub after: Option<Value>,
}

/// A configuration output that changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    pub configuration: String,
    pub name: String,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

/// The state a plan was made from, per configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorState {
    pub serial: u64,
    pub lineage: String,
}

/// A plan for one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub terrace_version: String,
    pub environment: String,
    /// The project's name (its `project` block), for the views' headline.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub project: String,
    pub created_at: String,
    /// Who made the plan (the user running `plan` or `promote`, or the
    /// authenticated caller of `terrace serve`): an environment with
    /// `require_approval { distinct_approver = true }` refuses their
    /// approval of it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created_by: String,
    /// `plan --destroy`: everything is deleted.
    #[serde(default)]
    pub destroy: bool,
    /// sha256 of the definitions the plan was made from.
    pub definitions_hash: String,
    /// Per configuration with state: the state the plan was made from.
    pub prior: BTreeMap<String, PriorState>,
    /// Every change except no-ops (but with no-op moves), sorted by address.
    pub changes: Vec<Change>,
    /// How many objects stay as they are.
    pub unchanged: usize,
    #[serde(default)]
    pub drift: Vec<Drift>,
    #[serde(default)]
    pub outputs: Vec<OutputChange>,
    /// Things the reader should know: operations a crash left unfinished.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The release planned, for a promotion: its definitions are read from
    /// the release, not from the working tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// The environment the release was promoted from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promoted_from: Option<String>,
    /// The project variables' values the plan was made with: applying the
    /// saved plan uses exactly these.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Value>,
    /// `--target`: only these resources (and what they depend on) were
    /// planned; the plan does not show everything that would change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// The objects that stay as they are, as `no-op` changes (`before`
    /// and `after` the object as recorded): the JSON view lists them, as
    /// Terraform does. Apply never reads them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchanged_objects: Vec<Change>,
    /// The definitions the plan was made from, in Terraform's JSON
    /// configuration representation (`config::json`), for the JSON view
    /// of a saved plan.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub configuration: serde_json::Value,
    /// `--replace`: the objects the plan was asked to replace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<String>,
    /// Whether objects were read back before planning (`--refresh`).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub refresh: bool,
    /// The environment's policies evaluated on this plan (docs/policies.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<crate::policy::PolicyResult>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub import: usize,
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl Plan {
    /// `N to add, M to change, K to destroy` (a replace counts as one add
    /// and one destroy, as in Terraform).
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            if c.importing.is_some() {
                s.import += 1;
            }
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Replace => {
                    s.add += 1;
                    s.destroy += 1;
                }
                Action::Delete => s.destroy += 1,
                Action::NoOp | Action::Read | Action::Forget => {}
            }
        }
        s
    }

    /// Whether applying would change anything (objects or outputs).
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(Change::is_change)
            || self.outputs.iter().any(|o| o.action != Action::NoOp)
            || !self.drift.is_empty()
    }

    /// Whether `other` makes the same changes: the same objects, actions
    /// and values after apply (what a saved plan is checked against).
    pub fn same_changes(&self, other: &Plan) -> bool {
        type Key<'a> = (
            &'a InstanceAddr,
            Action,
            &'a Option<Value>,
            &'a Option<InstanceAddr>,
            &'a Option<String>,
        );
        fn changes(p: &Plan) -> Vec<Key<'_>> {
            p.changes
                .iter()
                .filter(|c| c.is_change())
                .map(|c| {
                    (
                        &c.address,
                        c.action,
                        &c.after,
                        &c.previous_address,
                        &c.importing,
                    )
                })
                .collect()
        }
        self.destroy == other.destroy && changes(self) == changes(other)
    }

    /// The change for `addr`, if any.
    pub fn change(&self, addr: &InstanceAddr) -> Option<&Change> {
        self.changes
            .binary_search_by(|c| c.address.cmp(addr))
            .ok()
            .map(|i| &self.changes[i])
    }

    /// Encodes the plan for saving: the plan's JSON with, as its first
    /// field, `checksum`, the sha256 of the rest of the file (the same
    /// bytes without that field's line), so that any edit or damage is
    /// refused before anything runs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut body = serde_json::to_vec_pretty(self).expect("plans serialize");
        body.push(b'\n');
        let field = format!(
            "\"checksum\": \"sha256:{}\",\n  ",
            crate::digest::sha256_hex(&body)
        );
        let mut out = Vec::with_capacity(body.len() + field.len());
        out.extend_from_slice(&body[..PLAN_OPEN.len()]);
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(&body[PLAN_OPEN.len()..]);
        out
    }

    /// Decodes a saved plan, refusing other formats and a file whose
    /// checksum does not match its content.
    pub fn from_bytes(bytes: &[u8]) -> Result<Plan, String> {
        #[derive(Deserialize)]
        struct Header {
            format_version: u32,
            #[serde(default)]
            checksum: Option<String>,
        }
        let header: Header =
            serde_json::from_slice(bytes).map_err(|e| format!("it is not a terrace plan: {e}"))?;
        if header.format_version != PLAN_FORMAT_VERSION {
            return Err(format!(
                "it has plan format {}, and this terrace reads format {PLAN_FORMAT_VERSION}",
                header.format_version
            ));
        }
        let Some(sum) = header.checksum else {
            return Err(
                "it has no checksum: it was made by an older terrace or edited; make a new plan"
                    .into(),
            );
        };
        let field = format!("\"checksum\": \"{sum}\",\n  ");
        let body = bytes
            .strip_prefix(PLAN_OPEN.as_bytes())
            .and_then(|rest| rest.strip_prefix(field.as_bytes()))
            .map(|rest| [PLAN_OPEN.as_bytes(), rest].concat());
        match body {
            Some(body) if format!("sha256:{}", crate::digest::sha256_hex(&body)) == sum => {}
            _ => {
                return Err(
                    "its checksum does not match its content: it was edited or damaged; make a new plan"
                        .into(),
                );
            }
        }
        serde_json::from_slice(bytes).map_err(|e| format!("it is damaged: {e}"))
    }
}

/// How a saved plan's JSON opens; its checksum line follows.
const PLAN_OPEN: &str = "{\n  ";

fn ser_addr<S: Serializer>(a: &InstanceAddr, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(a)
}

fn ser_opt_addr<S: Serializer>(a: &Option<InstanceAddr>, s: S) -> Result<S::Ok, S::Error> {
    match a {
        Some(a) => s.collect_str(a),
        None => s.serialize_none(),
    }
}

fn de_opt_addr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<InstanceAddr>, D::Error> {
    de_addr(d).map(Some)
}

fn de_addr<'de, D: Deserializer<'de>>(d: D) -> Result<InstanceAddr, D::Error> {
    let s = String::deserialize(d)?;
    match InstanceAddr::parse(&s).map_err(serde::de::Error::custom)? {
        (None, a) => Ok(a),
        // A plan writes CONFIG/TYPE.NAME: a further `/` is not a plan's.
        (Some(_), _) => Err(serde::de::Error::custom(format!(
            "\"{s}\" is not a resource address of a plan (CONFIG/TYPE.NAME[KEY])"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bytes` (a plan's JSON, opening as a saved plan does) with the
    /// checksum field a save would give it: how the fuzz target reaches
    /// past the checksum.
    fn with_checksum(bytes: &[u8]) -> Vec<u8> {
        let field = format!(
            "\"checksum\": \"sha256:{}\",\n  ",
            crate::digest::sha256_hex(bytes)
        );
        [
            &bytes[..PLAN_OPEN.len()],
            field.as_bytes(),
            &bytes[PLAN_OPEN.len()..],
        ]
        .concat()
    }

    #[test]
    fn plans_the_fuzzer_found_are_refused_or_read_back_as_the_same_plan() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions/plan_file");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = with_checksum(&std::fs::read(entry.unwrap().path()).unwrap());
            seen += 1;
            let Ok(plan) = Plan::from_bytes(&bytes) else {
                continue;
            };
            let again = Plan::from_bytes(&plan.to_bytes()).expect("a saved plan reads back");
            assert_eq!(plan, again);
        }
        assert!(seen >= 2, "the regressions are missing from {dir}");
    }

    #[test]
    fn a_plan_address_with_an_environment_part_is_refused() {
        let plan = br#"{
  "format_version": 1,
  "terrace_version": "0.1.0",
  "environment": "dev",
  "created_at": "2026-12-04T18:22:23Z",
  "definitions_hash": "00",
  "prior": {},
  "changes": [
    {
      "address": "dev/web/file.page",
      "action": "delete"
    }
  ],
  "unchanged": 0
}
"#;
        let err = Plan::from_bytes(&with_checksum(plan)).unwrap_err();
        assert!(
            err.contains("\"dev/web/file.page\" is not a resource address of a plan"),
            "{err}"
        );
    }
}
