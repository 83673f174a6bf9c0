//! The in-memory state of an environment: for each configuration, the
//! objects terrace manages and the outputs it last computed. No I/O here.

use crate::address::{InstanceAddr, InstanceKey, Mode, ResourceAddr};
use crate::value::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The state of one configuration in one environment: one file on disk.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConfigState {
    /// Increases with every write; the same number across the environment
    /// for one apply.
    pub serial: u64,
    /// Identifies this state's history; a plan made against another
    /// lineage never applies.
    pub lineage: String,
    pub environment: String,
    pub configuration: String,
    pub terrace_version: String,
    /// By mode, type and name; written as a list.
    #[serde(default, with = "resource_list")]
    pub resources: BTreeMap<ResourceKey, ResourceState>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
    /// Operations that were started and never recorded as finished (a
    /// crash): the objects may exist. Kept until an apply settles them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unfinished: Vec<UnfinishedOp>,
}

/// How resources are keyed in state: mode, type, name.
pub type ResourceKey = (Mode, String, String);

fn key_of(r: &ResourceAddr) -> ResourceKey {
    (r.mode, r.type_name.clone(), r.name.clone())
}

/// Resources are a list on disk and a map in memory.
mod resource_list {
    use super::{ResourceKey, ResourceState};
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(
        map: &BTreeMap<ResourceKey, ResourceState>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.values())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<ResourceKey, ResourceState>, D::Error> {
        let list = Vec::<ResourceState>::deserialize(d)?;
        Ok(list
            .into_iter()
            .map(|r| ((r.mode, r.type_name.clone(), r.name.clone()), r))
            .collect())
    }
}

/// A resource block's recorded instances.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResourceState {
    pub mode: Mode,
    #[serde(rename = "type")]
    pub type_name: String,
    pub name: String,
    /// Addresses (`CONFIG/TYPE.NAME`) of the resources this one depended
    /// on when last applied: deletes run in the reverse of this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// Whether its objects were create-before-destroy (its own `lifecycle`,
    /// or spread from a dependent) when last applied: orders the delete of
    /// objects the definitions no longer produce, as in Terraform.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    /// Sorted by key.
    pub instances: Vec<InstanceState>,
}

/// One managed object.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InstanceState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_key: Option<InstanceKey>,
    pub attributes: Value,
}

/// A configuration output as last applied.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutputState {
    pub value: Value,
    #[serde(default)]
    pub sensitive: bool,
}

/// An operation started but never recorded as finished.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UnfinishedOp {
    pub address: String,
    pub action: String,
    pub started_at: String,
}

impl ConfigState {
    /// An empty state for a configuration seen for the first time.
    pub fn new(environment: &str, configuration: &str) -> ConfigState {
        ConfigState {
            serial: 0,
            lineage: uuid::Uuid::new_v4().to_string(),
            environment: environment.to_string(),
            configuration: configuration.to_string(),
            terrace_version: env!("CARGO_PKG_VERSION").to_string(),
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            unfinished: Vec::new(),
        }
    }

    pub fn resource(&self, r: &ResourceAddr) -> Option<&ResourceState> {
        self.resources.get(&key_of(r))
    }

    /// The number of recorded objects.
    pub fn instance_count(&self) -> usize {
        self.resources.values().map(|r| r.instances.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.values().all(|r| r.instances.is_empty())
            && self.outputs.is_empty()
            && self.unfinished.is_empty()
    }
}

impl ResourceState {
    pub fn instance(&self, key: &Option<InstanceKey>) -> Option<&InstanceState> {
        self.instances
            .binary_search_by(|i| i.index_key.cmp(key))
            .ok()
            .map(|i| &self.instances[i])
    }
}

/// Every configuration's state in one environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvState {
    pub environment: String,
    pub configs: BTreeMap<String, ConfigState>,
}

impl EnvState {
    pub fn new(environment: &str) -> EnvState {
        EnvState {
            environment: environment.to_string(),
            configs: BTreeMap::new(),
        }
    }

    /// The recorded object at `addr`.
    pub fn instance(&self, addr: &InstanceAddr) -> Option<&InstanceState> {
        self.configs
            .get(&addr.resource.config)?
            .resource(&addr.resource)?
            .instance(&addr.key)
    }

    /// Every recorded object, by configuration, resource and key.
    pub fn instances(
        &self,
    ) -> impl Iterator<Item = (InstanceAddr, &ResourceState, &InstanceState)> {
        self.configs.values().flat_map(|c| {
            c.resources.values().flat_map(move |r| {
                let addr = ResourceAddr {
                    config: c.configuration.clone(),
                    mode: r.mode,
                    type_name: r.type_name.clone(),
                    name: r.name.clone(),
                };
                r.instances
                    .iter()
                    .map(move |i| (addr.instance(i.index_key.clone()), r, i))
            })
        })
    }

    /// The recorded resource at `addr`.
    pub fn resource(&self, addr: &ResourceAddr) -> Option<&ResourceState> {
        self.configs.get(&addr.config)?.resources.get(&key_of(addr))
    }

    /// Records what a resource depends on and whether it is
    /// create-before-destroy, when it has objects; returns whether that
    /// changed anything.
    pub fn set_ordering(
        &mut self,
        addr: &ResourceAddr,
        dependencies: Vec<String>,
        create_before_destroy: bool,
    ) -> bool {
        let Some(res) = self
            .configs
            .get_mut(&addr.config)
            .and_then(|c| c.resources.get_mut(&key_of(addr)))
        else {
            return false;
        };
        if res.instances.is_empty()
            || (res.dependencies == dependencies
                && res.create_before_destroy == create_before_destroy)
        {
            return false;
        }
        res.dependencies = dependencies;
        res.create_before_destroy = create_before_destroy;
        true
    }

    /// The state of configuration `name`, created empty if needed.
    pub fn config_mut(&mut self, name: &str) -> &mut ConfigState {
        // Looked up first: the usual case allocates no key.
        if !self.configs.contains_key(name) {
            let config = ConfigState::new(&self.environment, name);
            self.configs.insert(name.to_string(), config);
        }
        self.configs
            .get_mut(name)
            .expect("the configuration was just inserted")
    }

    /// Records an object (replacing the one at the same address).
    pub fn set_instance(
        &mut self,
        addr: &InstanceAddr,
        attributes: Value,
        dependencies: Option<Vec<String>>,
    ) {
        let config = self.config_mut(&addr.resource.config);
        let r = &addr.resource;
        let res = config
            .resources
            .entry(key_of(r))
            .or_insert_with(|| ResourceState {
                mode: r.mode,
                type_name: r.type_name.clone(),
                name: r.name.clone(),
                dependencies: Vec::new(),
                create_before_destroy: false,
                instances: Vec::new(),
            });
        if let Some(deps) = dependencies {
            res.dependencies = deps;
        }
        let inst = InstanceState {
            index_key: addr.key.clone(),
            attributes,
        };
        match res
            .instances
            .binary_search_by(|x| x.index_key.cmp(&addr.key))
        {
            Ok(j) => res.instances[j] = inst,
            Err(j) => {
                crate::value::room_for_one(&mut res.instances);
                res.instances.insert(j, inst)
            }
        }
    }

    /// Gives the object at `from` the address `to`, with its resource's
    /// recorded dependencies; returns what `to` now records, or `None`
    /// when `from` holds no object.
    pub fn move_instance(
        &mut self,
        from: &InstanceAddr,
        to: &InstanceAddr,
    ) -> Option<(Value, Option<Vec<String>>)> {
        let attributes = self.instance(from)?.attributes.clone();
        let deps = self
            .resource(&from.resource)
            .map(|r| r.dependencies.clone());
        self.remove_instance(from);
        self.set_instance(to, attributes.clone(), deps.clone());
        Some((attributes, deps))
    }

    /// Forgets an object; a resource left without instances is dropped.
    /// Returns whether there was one.
    pub fn remove_instance(&mut self, addr: &InstanceAddr) -> bool {
        let Some(config) = self.configs.get_mut(&addr.resource.config) else {
            return false;
        };
        let key = key_of(&addr.resource);
        let Some(res) = config.resources.get_mut(&key) else {
            return false;
        };
        let Ok(j) = res
            .instances
            .binary_search_by(|x| x.index_key.cmp(&addr.key))
        else {
            return false;
        };
        res.instances.remove(j);
        if res.instances.is_empty() {
            config.resources.remove(&key);
        }
        true
    }

    /// The highest serial of any configuration.
    pub fn serial(&self) -> u64 {
        self.configs.values().map(|c| c.serial).max().unwrap_or(0)
    }

    /// The number of recorded objects.
    pub fn instance_count(&self) -> usize {
        self.configs.values().map(ConfigState::instance_count).sum()
    }

    /// Unfinished operations of every configuration.
    pub fn unfinished(&self) -> impl Iterator<Item = &UnfinishedOp> {
        self.configs.values().flat_map(|c| c.unfinished.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> InstanceAddr {
        InstanceAddr::parse(s).unwrap().1
    }

    #[test]
    fn instances_stay_sorted_and_removable() {
        let mut env = EnvState::new("dev");
        env.set_instance(&addr("net/file.b"), Value::int(2), None);
        env.set_instance(&addr("net/file.a[1]"), Value::int(1), None);
        env.set_instance(
            &addr("net/file.a[0]"),
            Value::int(0),
            Some(vec!["net/file.b".into()]),
        );
        let order: Vec<String> = env.instances().map(|(a, _, _)| a.to_string()).collect();
        assert_eq!(order, ["net/file.a[0]", "net/file.a[1]", "net/file.b"]);
        assert_eq!(
            env.instance(&addr("net/file.a[1]")).unwrap().attributes,
            Value::int(1)
        );
        assert!(env.remove_instance(&addr("net/file.b")));
        assert!(!env.remove_instance(&addr("net/file.b")));
        assert_eq!(env.configs["net"].resources.len(), 1);
    }
}
