//! Replaying an apply's journal onto state: what every backend's
//! `recover` and `terrace state`'s view of a running apply share. Pure:
//! it reads and writes nothing; the backend commits the result.

use crate::address::InstanceAddr;
use crate::state::{EnvState, Record, UnfinishedOp};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What recovering from an unfinished apply found.
#[derive(Debug, Default)]
pub struct Recovery {
    /// Finished operations replayed into state.
    pub replayed: usize,
    /// Operations started and never finished.
    pub unfinished: Vec<UnfinishedOp>,
}

/// Applies a journal's finished operations to `state`. Configurations
/// whose state moved past the journal's base (already compacted) are left
/// alone. Returns the configurations changed and what was found.
pub fn replay(state: &mut EnvState, records: &[Record]) -> (BTreeSet<String>, Recovery) {
    let mut recovery = Recovery::default();
    let mut changed = BTreeSet::new();
    let base = match records.first() {
        Some(Record::Begin { base, .. }) => base.clone(),
        _ => BTreeMap::new(),
    };
    // Decided once, on the state as read: replaying creates configurations.
    let stale: BTreeSet<String> = base
        .keys()
        .chain(state.configs.keys())
        .filter(|c| match (base.get(*c), state.configs.get(*c)) {
            (Some(b), Some(s)) => b.serial != s.serial || b.lineage != s.lineage,
            _ => true,
        })
        .cloned()
        .collect();
    let mut started: HashMap<String, (String, String)> = HashMap::new();
    for rec in records {
        match rec {
            Record::Begin { .. } => {}
            Record::Start {
                address,
                action,
                time,
            } => {
                started.insert(address.clone(), (action.clone(), time.clone()));
            }
            Record::Done {
                address,
                attributes,
                dependencies,
                ..
            } => {
                started.remove(address);
                let Ok((_, addr)) = InstanceAddr::parse(address) else {
                    continue;
                };
                let config = addr.resource.config.clone();
                if stale.contains(&config) {
                    continue;
                }
                match attributes {
                    Some(a) => state.set_instance(&addr, a.clone(), dependencies.clone()),
                    None => {
                        state.remove_instance(&addr);
                    }
                }
                state
                    .config_mut(&config)
                    .unfinished
                    .retain(|u| &u.address != address);
                changed.insert(config);
                recovery.replayed += 1;
            }
            Record::Outputs {
                configuration,
                outputs,
            } => {
                if !stale.contains(configuration) {
                    state.config_mut(configuration).outputs = outputs.clone();
                    changed.insert(configuration.clone());
                }
            }
        }
    }
    let mut left: Vec<(String, (String, String))> = started.into_iter().collect();
    left.sort();
    for (address, (action, started_at)) in left {
        let Ok((_, addr)) = InstanceAddr::parse(&address) else {
            continue;
        };
        let config = addr.resource.config.clone();
        if stale.contains(&config) {
            continue;
        }
        let op = UnfinishedOp {
            address,
            action,
            started_at,
        };
        let c = state.config_mut(&config);
        if !c.unfinished.iter().any(|u| u.address == op.address) {
            c.unfinished.push(op.clone());
        }
        changed.insert(config);
        recovery.unfinished.push(op);
    }
    (changed, recovery)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Base;
    use crate::value::Value;

    fn addr(s: &str) -> InstanceAddr {
        InstanceAddr::parse(s).unwrap().1
    }

    #[test]
    fn replay_applies_finished_and_reports_unfinished() {
        let mut state = EnvState::new("dev");
        let records = vec![
            Record::Begin {
                apply_id: "a".into(),
                time: "t".into(),
                base: BTreeMap::new(),
            },
            Record::Start {
                address: "net/file.a".into(),
                action: "create".into(),
                time: "t1".into(),
            },
            Record::Done {
                address: "net/file.a".into(),
                action: "create".into(),
                attributes: Some(Value::int(1)),
                dependencies: None,
            },
            Record::Start {
                address: "net/file.b".into(),
                action: "create".into(),
                time: "t2".into(),
            },
        ];
        let (changed, rec) = replay(&mut state, &records);
        assert_eq!(changed.len(), 1);
        assert_eq!(rec.replayed, 1);
        assert_eq!(rec.unfinished.len(), 1);
        assert_eq!(rec.unfinished[0].address, "net/file.b");
        assert!(state.instance(&addr("net/file.a")).is_some());
        assert_eq!(state.configs["net"].unfinished.len(), 1);
    }

    #[test]
    fn replay_leaves_a_configuration_written_since_the_journal_began_alone() {
        let mut state = EnvState::new("dev");
        let net = state.config_mut("net");
        net.serial = 2;
        let lineage = net.lineage.clone();
        let done = |address: &str| Record::Done {
            address: address.into(),
            action: "create".into(),
            attributes: Some(Value::int(1)),
            dependencies: None,
        };
        let records = vec![
            Record::Begin {
                apply_id: "a".into(),
                time: "t".into(),
                // The journal began at net's serial 1: serial 2 holds it.
                base: BTreeMap::from([("net".into(), Base { serial: 1, lineage })]),
            },
            done("net/file.a"),
            done("app/file.b"),
            done("app/file.c"),
        ];
        let (changed, rec) = replay(&mut state, &records);
        assert_eq!(changed, BTreeSet::from(["app".to_string()]));
        assert_eq!(rec.replayed, 2);
        assert!(state.instance(&addr("net/file.a")).is_none());
        assert!(state.instance(&addr("app/file.c")).is_some());
    }
}
