//! [`EnvValues::from_state`]: an environment's values with every resource
//! as recorded in its state (the state model only; nothing is read from
//! disk), for evaluating expressions against what is deployed.

use super::{EnvValues, Node, ProjectGraph};
use crate::address::Mode;
use crate::config::Environment;
use crate::diag::Diagnostics;
use crate::state::EnvState;
use crate::value::{Map, Value};

impl<'g, 'p> EnvValues<'g, 'p> {
    /// The environment's values with every resource as recorded in
    /// `state`; what cannot be evaluated is unknown, and the expressions
    /// that use it say so.
    pub fn from_state(
        graph: &'g ProjectGraph<'p>,
        env: &'p Environment,
        project_vars: &Map,
        state: &EnvState,
        now: jiff::Timestamp,
    ) -> Result<EnvValues<'g, 'p>, Diagnostics> {
        let mut values = EnvValues::new(graph, env, project_vars, now)?;
        for &id in &graph.order {
            match graph.node(id) {
                Node::Resource(c, r) => {
                    let addr = graph.resource_addr(c, r);
                    let res = &graph.arch(c).resources[r];
                    let recorded = state
                        .configs
                        .get(&addr.config)
                        .and_then(|cs| cs.resource(&addr));
                    match recorded {
                        Some(rs) => {
                            let instances = rs
                                .instances
                                .iter()
                                .map(|i| (i.index_key.clone(), i.attributes.clone()))
                                .collect();
                            values.set_resource(c, r, instances);
                        }
                        // Not applied yet: a single resource is null, as in
                        // Terraform's console; an expanded one is empty.
                        None if res.count.is_none() && res.for_each.is_none() => {
                            let v = if addr.mode == Mode::Data {
                                Value::Unknown
                            } else {
                                Value::Null
                            };
                            values.set_resource(c, r, vec![(None, v)]);
                        }
                        None => values.set_resource(c, r, Vec::new()),
                    }
                }
                _ => {
                    let _ = values.eval_node(id);
                }
            }
        }
        Ok(values)
    }
}
