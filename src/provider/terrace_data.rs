//! `terrace_data`: stores `input`, exposes it as `output`, replaced when
//! `triggers_replace` changes. Terraform's `terraform_data`, same meaning.

use super::{
    AttrKind, AttrSchema, AttrType, BoxFuture, Context, Planned, Provider, ProviderError, Schema,
};
use crate::value::{Map, Value};

pub struct TerraceData {
    schema: Schema,
}

impl TerraceData {
    pub fn new() -> TerraceData {
        TerraceData {
            schema: Schema {
                attributes: vec![
                    AttrSchema::new(
                        "id",
                        AttrKind::Computed,
                        AttrType::String,
                        "a unique id, set on create",
                    ),
                    AttrSchema::new(
                        "input",
                        AttrKind::Optional,
                        AttrType::Any,
                        "any value to store",
                    ),
                    AttrSchema::new(
                        "output",
                        AttrKind::Computed,
                        AttrType::Any,
                        "the stored input, after apply",
                    ),
                    AttrSchema::new(
                        "triggers_replace",
                        AttrKind::Optional,
                        AttrType::Any,
                        "any value; a change replaces the resource",
                    )
                    .force_new(),
                ],
            },
        }
    }
}

impl Provider for TerraceData {
    fn type_name(&self) -> &str {
        "terrace_data"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn has_side_effects(&self) -> bool {
        false
    }

    fn plan<'a>(
        &'a self,
        config: Value,
        prior: Option<&'a Value>,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Planned, ProviderError>> {
        Box::pin(async move {
            let config = config.into_object();
            let (mut planned, requires_replace) = self.schema.plan(config, prior);
            // As terraform_data: output follows input, known once applied.
            let input_changed = match prior {
                Some(p) if requires_replace.is_empty() => {
                    let before = p.get("input").unwrap_or(&Value::Null);
                    let after = planned.get("input").unwrap_or(&Value::Null);
                    !after.is_wholly_known() || !before.same_as(after)
                }
                _ => true,
            };
            if input_changed {
                planned.insert("output".into(), Value::Unknown);
            }
            if !requires_replace.is_empty() || prior.is_none() {
                planned.insert("id".into(), Value::Unknown);
            }
            Ok(Planned {
                value: Value::Object(planned),
                requires_replace,
            })
        })
    }

    fn create<'a>(
        &'a self,
        planned: Value,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let mut m = object(planned)?;
            m.insert("id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
            let input = m.get("input").cloned().unwrap_or(Value::Null);
            m.insert("output".into(), input);
            Ok(Value::Object(m))
        })
    }

    fn read<'a>(
        &'a self,
        current: Value,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move { Ok(Some(current)) })
    }

    /// As Terraform's `terraform_data`: the id is taken as given, with no
    /// input or output yet.
    fn import<'a>(
        &'a self,
        _config: Value,
        id: String,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        let mut m = crate::value::Map::new();
        m.insert("id".into(), Value::String(id));
        for k in ["input", "output", "triggers_replace"] {
            m.insert(k.into(), Value::Null);
        }
        Box::pin(async move { Ok(Some(Value::Object(m))) })
    }

    fn update<'a>(
        &'a self,
        prior: Value,
        planned: Value,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let mut m = object(planned)?;
            let id = prior.get("id").cloned().unwrap_or(Value::Null);
            m.insert("id".into(), id);
            let input = m.get("input").cloned().unwrap_or(Value::Null);
            m.insert("output".into(), input);
            Ok(Value::Object(m))
        })
    }

    fn delete<'a>(
        &'a self,
        _prior: Value,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async { Ok(()) })
    }
}

fn object(v: Value) -> Result<Map, ProviderError> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(ProviderError::new(format!(
            "expected an object, got {}",
            other.type_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            project_root: std::env::temp_dir(),
            authorization: None,
        }
    }

    #[tokio::test]
    async fn output_follows_input_and_triggers_replace() {
        let p = TerraceData::new();
        let ctx = ctx();
        let mut cfg = Map::new();
        cfg.insert("input".into(), Value::string("a"));
        cfg.insert("triggers_replace".into(), Value::Null);
        let planned = p
            .plan(Value::Object(cfg.clone()), None, &ctx)
            .await
            .unwrap();
        assert!(planned.value.get("id").unwrap().is_unknown());
        let created = p.create(planned.value, &ctx).await.unwrap();
        assert_eq!(created.get("output"), Some(&Value::string("a")));

        let same = p
            .plan(Value::Object(cfg.clone()), Some(&created), &ctx)
            .await
            .unwrap();
        assert!(same.value.same_as(&created));

        cfg.insert("triggers_replace".into(), Value::int(2));
        let replaced = p
            .plan(Value::Object(cfg), Some(&created), &ctx)
            .await
            .unwrap();
        assert_eq!(replaced.requires_replace.len(), 1);
        assert!(replaced.value.get("id").unwrap().is_unknown());
    }
}
