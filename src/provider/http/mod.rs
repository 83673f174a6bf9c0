//! `http`: a REST object. Create POSTs `body` to `url`, read GETs
//! `url/ID` (a 404 means the object is gone), update PUTs (or PATCHes),
//! delete DELETEs (a 404 means already gone). The environment's
//! credential goes into a header at send time only. `data "http"` reads a
//! URL without managing it. Sending, retries and the shared client live in
//! [`client`].

mod client;

use super::{
    AttrKind, AttrSchema, AttrType, BoxFuture, Context, Planned, Provider, ProviderError, Schema,
};
use crate::value::{Map, Value};
use client::Settings;

pub struct Http {
    schema: Schema,
    data_schema: Schema,
}

/// Arguments both the resource and the data source take.
fn sending() -> Vec<AttrSchema> {
    use AttrType::{Any, Number, String};
    vec![
        AttrSchema::new(
            "auth_header",
            AttrKind::Optional,
            String,
            "the header that carries the environment's credential",
        )
        .default(Value::string("Authorization")),
        AttrSchema::new(
            "auth_scheme",
            AttrKind::Optional,
            String,
            "written before the credential, e.g. Bearer; \"\" for none",
        )
        .default(Value::string("Bearer")),
        AttrSchema::new("headers", AttrKind::Optional, Any, "extra request headers"),
        AttrSchema::new(
            "retries",
            AttrKind::Optional,
            Number,
            "retries on connection errors, 429 and 5xx",
        )
        .default(Value::int(4)),
        AttrSchema::new(
            "timeout",
            AttrKind::Optional,
            Number,
            "seconds each request may take",
        )
        .default(Value::int(30)),
    ]
}

impl Http {
    pub fn new() -> Http {
        use AttrKind::{Computed, Optional, Required};
        use AttrType::{Any, Number, String};
        let mut attributes = sending();
        attributes.extend([
            AttrSchema::new("body", Optional, Any, "sent as JSON on create and update"),
            AttrSchema::new("create_method", Optional, String, "POST unless set")
                .default(Value::string("POST")),
            AttrSchema::new("delete_url", Optional, String, "default \"{url}/{id}\""),
            AttrSchema::new("id", Computed, String, "the id found at id_path"),
            AttrSchema::new(
                "id_path",
                Optional,
                String,
                "where the id is in the create response, dot-separated",
            )
            .default(Value::string("id")),
            AttrSchema::new("read_url", Optional, String, "default \"{url}/{id}\""),
            AttrSchema::new("response", Computed, Any, "the last response body"),
            AttrSchema::new("update_method", Optional, String, "PUT or PATCH")
                .default(Value::string("PUT")),
            AttrSchema::new("update_url", Optional, String, "default \"{url}/{id}\""),
            AttrSchema::new("url", Required, String, "the collection URL").force_new(),
        ]);
        let mut data = sending();
        data.extend([
            AttrSchema::new("id", Computed, String, "the url"),
            AttrSchema::new("response", Computed, Any, "the body, parsed when JSON"),
            AttrSchema::new("response_body", Computed, String, "the body as text"),
            AttrSchema::new("status_code", Computed, Number, "the HTTP status"),
            AttrSchema::new("url", Required, String, "the URL to GET"),
        ]);
        Http {
            schema: Schema { attributes },
            data_schema: Schema { attributes: data },
        }
    }
}

fn str_attr<'v>(v: &'v Value, name: &str) -> Result<&'v str, ProviderError> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::attr(name, format!("{name} is not set")))
}

/// The URL of one object: the template in `which` (default `{url}/{id}`).
fn object_url(v: &Value, which: &str) -> Result<String, ProviderError> {
    let base = str_attr(v, "url")?.trim_end_matches('/');
    let id = str_attr(v, "id")?;
    let template = v.get(which).and_then(Value::as_str).unwrap_or("{url}/{id}");
    Ok(template
        .replace("{url}", base)
        .replace("{id}", &encode_segment(id)))
}

/// Percent-encodes what may not stand in a path segment.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value at a dot-separated path of a JSON response, as an id.
fn id_at(response: &Value, path: &str) -> Option<String> {
    let mut cur = response;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        cur = match cur {
            Value::List(items) => items.get(part.parse::<usize>().ok()?)?,
            other => other.get(part)?,
        };
    }
    match cur.unmark().0 {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn body_of(v: &Value) -> Option<&Value> {
    v.get("body").filter(|b| !b.is_null())
}

/// The response as kept: sensitive as a whole when the body sent holds a
/// sensitive value, since servers echo what they were sent.
fn kept_response(response: Value, v: &Value) -> Value {
    let secret = body_of(v).is_some_and(Value::contains_sensitive);
    response.mark_if(secret)
}

impl Provider for Http {
    fn type_name(&self) -> &str {
        "http"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn plan<'a>(
        &'a self,
        config: Value,
        prior: Option<&'a Value>,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Planned, ProviderError>> {
        Box::pin(async move {
            let (mut planned, requires_replace) = self.schema.plan(config.into_object(), prior);
            let as_value = Value::Object(planned.clone());
            if as_value.get("headers").is_some_and(Value::is_wholly_known) {
                Settings::from(&as_value)?;
            }
            for m in ["create_method", "update_method"] {
                if let Some(s) = planned.get(m).and_then(Value::as_str)
                    && reqwest::Method::from_bytes(s.as_bytes()).is_err()
                {
                    return Err(ProviderError::attr(
                        m,
                        format!("{s:?} is not an HTTP method"),
                    ));
                }
            }
            match prior {
                Some(p) if requires_replace.is_empty() => {
                    let before = body_of(p).unwrap_or(&Value::Null);
                    let after = body_of(&as_value).unwrap_or(&Value::Null);
                    if !after.is_wholly_known() || !before.same_as(after) {
                        planned.insert("response".into(), Value::Unknown);
                    }
                }
                _ => {
                    planned.insert("id".into(), Value::Unknown);
                    planned.insert("response".into(), Value::Unknown);
                }
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
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let settings = Settings::from(&planned)?;
            let url = str_attr(&planned, "url")?;
            let method = str_attr(&planned, "create_method")?;
            let resp = client::send(method, url, body_of(&planned), &settings, ctx).await?;
            if !resp.is_success() {
                return Err(resp.error(method, url));
            }
            let response = resp
                .json(method, url)
                .map_err(|e| ProviderError::new(format!("{}; the object may exist", e.message)))?;
            let id_path = str_attr(&planned, "id_path")?;
            let id = id_at(&response, id_path).ok_or_else(|| {
                ProviderError::attr(
                    "id_path",
                    format!(
                        "{method} {url} succeeded but its response has no id at \"{id_path}\"; \
                         the object may exist: set id_path to where the response holds its id"
                    ),
                )
            })?;
            let response = kept_response(response, &planned);
            let mut m = planned.into_object();
            m.insert("id".into(), Value::String(id));
            m.insert("response".into(), response);
            Ok(Value::Object(m))
        })
    }

    fn read<'a>(
        &'a self,
        current: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move {
            let settings = Settings::from(&current)?;
            let url = object_url(&current, "read_url")?;
            let resp = client::send("GET", &url, None, &settings, ctx).await?;
            if resp.status == 404 || resp.status == 410 {
                return Ok(None);
            }
            if !resp.is_success() {
                return Err(resp.error("GET", &url));
            }
            let response = kept_response(resp.json("GET", &url)?, &current);
            let mut m = current.into_object();
            // What the server holds now, for the keys the body sets: a change
            // behind terrace's back shows as drift and plans an update.
            let body = m.get("body").map(|b| (b.unmark().0.clone(), b.unmark().1));
            if let (Some((Value::Object(body), marked)), Value::Object(now)) =
                (body, response.unmark().0)
            {
                let mut merged = body.clone();
                for (k, v) in body.iter() {
                    if let Some(server) = now.get(k)
                        && !server.same_as(v.unmark().0)
                    {
                        let server = server.clone().mark_if(v.contains_sensitive());
                        merged.insert(k.clone(), server);
                    }
                }
                m.insert("body".into(), Value::Object(merged).mark_if(marked));
            }
            m.insert("response".into(), response);
            Ok(Some(Value::Object(m)))
        })
    }

    fn update<'a>(
        &'a self,
        prior: Value,
        planned: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let mut m = planned.clone().into_object();
            let id = prior.get("id").cloned().unwrap_or(Value::Null);
            m.insert("id".into(), id.clone());
            let before = body_of(&prior).unwrap_or(&Value::Null);
            let after = body_of(&planned).unwrap_or(&Value::Null);
            if before.same_as(after) {
                let response = prior.get("response").cloned().unwrap_or(Value::Null);
                m.insert("response".into(), response);
                return Ok(Value::Object(m));
            }
            let with_id = Value::Object(m.clone());
            let settings = Settings::from(&with_id)?;
            let url = object_url(&with_id, "update_url")?;
            let method = str_attr(&with_id, "update_method")?;
            let resp = client::send(method, &url, body_of(&with_id), &settings, ctx).await?;
            if !resp.is_success() {
                return Err(resp.error(method, &url));
            }
            let response = resp.json(method, &url)?;
            m.insert("response".into(), kept_response(response, &with_id));
            Ok(Value::Object(m))
        })
    }

    fn delete<'a>(
        &'a self,
        prior: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let settings = Settings::from(&prior)?;
            let url = object_url(&prior, "delete_url")?;
            let resp = client::send("DELETE", &url, None, &settings, ctx).await?;
            if resp.is_success() || resp.status == 404 || resp.status == 410 {
                Ok(())
            } else {
                Err(resp.error("DELETE", &url))
            }
        })
    }

    fn data_schema(&self) -> Option<&Schema> {
        Some(&self.data_schema)
    }

    fn read_data<'a>(
        &'a self,
        config: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let settings = Settings::from(&config)?;
            let url = str_attr(&config, "url")?.to_string();
            let resp = client::send("GET", &url, None, &settings, ctx).await?;
            if !resp.is_success() {
                return Err(resp.error("GET", &url));
            }
            let response = resp.json("GET", &url)?;
            let mut m: Map = config.into_object();
            m.insert("id".into(), Value::String(url));
            m.insert("response".into(), response);
            m.insert("status_code".into(), Value::int(i64::from(resp.status)));
            m.insert("response_body".into(), Value::String(resp.body));
            Ok(Value::Object(m))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_and_urls_built() {
        let resp =
            Value::from_json(serde_json::json!({"data": {"items": [{"id": 7}]}})).expect("json");
        assert_eq!(id_at(&resp, "data.items.0.id").as_deref(), Some("7"));
        assert_eq!(id_at(&resp, "missing"), None);
        let v = Value::from_json(serde_json::json!({"url": "http://h/things/", "id": "a b"}))
            .expect("json");
        assert_eq!(object_url(&v, "read_url").unwrap(), "http://h/things/a%20b");
    }
}
