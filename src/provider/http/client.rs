//! Sending one HTTP request for the `http` type: the shared client, the
//! credential added at send time, timeouts, and retries with exponential
//! backoff and jitter on connection errors, 429 and 5xx (honouring
//! `Retry-After`), never on other 4xx.

use crate::provider::{Context, ProviderError};
use crate::value::Value;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::OnceLock;
use std::time::Duration;

/// The longest wait between two attempts, whatever `Retry-After` says.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// The first backoff; doubled on every attempt, up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One client per run: connections are pooled across every object.
pub fn shared() -> Result<&'static reqwest::Client, ProviderError> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            crate::tls::install_crypto_provider();
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                // Redirects stay on the host the request was for: a
                // credential header must not follow to another one.
                .redirect(reqwest::redirect::Policy::custom(|attempt| {
                    let first = attempt.previous().first().and_then(|u| u.host_str());
                    if attempt.previous().len() >= 10 {
                        attempt.error("more than 10 redirects")
                    } else if attempt.url().host_str() != first {
                        attempt.stop()
                    } else {
                        attempt.follow()
                    }
                }))
                .user_agent(concat!("terrace/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| format!("cannot set up the HTTP client: {e}"))
        })
        .as_ref()
        .map_err(|e| ProviderError::new(e.clone()))
}

/// How to send requests, from an object's attributes.
#[derive(Debug, Clone)]
pub struct Settings {
    pub headers: HeaderMap,
    pub auth_header: Option<HeaderName>,
    pub auth_scheme: String,
    pub timeout: Duration,
    pub retries: u32,
}

impl Settings {
    pub fn from(v: &Value) -> Result<Settings, ProviderError> {
        let mut headers = HeaderMap::new();
        if let Some(h) = v
            .get("headers")
            .map(|h| h.unmark().0)
            .filter(|h| !h.is_null())
        {
            let Some(map) = h.as_object() else {
                return Err(ProviderError::attr(
                    "headers",
                    "headers must be a map of names to strings",
                ));
            };
            for (k, val) in map.iter() {
                let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| {
                    ProviderError::attr("headers", format!("{k:?} is not a header name"))
                })?;
                let text = match val.unmark().0 {
                    Value::String(s) => s.clone(),
                    other => other.to_json().to_string(),
                };
                let value = HeaderValue::from_str(&text).map_err(|_| {
                    ProviderError::attr("headers", format!("the value of header {k} is not valid"))
                })?;
                headers.insert(name, value);
            }
        }
        let auth_header = match v.get("auth_header").and_then(Value::as_str) {
            None | Some("") => None,
            Some(h) => Some(HeaderName::from_bytes(h.as_bytes()).map_err(|_| {
                ProviderError::attr("auth_header", format!("{h:?} is not a header name"))
            })?),
        };
        let retries = match v.get("retries").map(|r| r.unmark().0) {
            Some(Value::Number(n)) => n
                .as_i64()
                .filter(|n| (0..=20).contains(n))
                .map(|n| n as u32)
                .ok_or_else(|| {
                    ProviderError::attr("retries", "retries must be a whole number from 0 to 20")
                })?,
            _ => 4,
        };
        Ok(Settings {
            headers,
            auth_header,
            auth_scheme: v
                .get("auth_scheme")
                .and_then(Value::as_str)
                .unwrap_or("Bearer")
                .to_string(),
            timeout: crate::provider::process::timeout_of(
                v.get("timeout"),
                Duration::from_secs(30),
            )?,
            retries,
        })
    }
}

/// A response: status and body text.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON; a body that is not JSON is kept as a string. JSON
    /// that terrace cannot hold (a number past its range) is refused, as
    /// everywhere else JSON becomes a value, rather than kept as text.
    pub fn json(&self, method: &str, url: &str) -> Result<Value, ProviderError> {
        if self.body.trim().is_empty() {
            return Ok(Value::Null);
        }
        match serde_json::from_str::<serde_json::Value>(&self.body) {
            Ok(json) => Value::from_json(json).map_err(|e| {
                ProviderError::new(format!(
                    "{method} {url} answered JSON terrace cannot read: {e}"
                ))
            }),
            Err(_) => Ok(Value::String(self.body.clone())),
        }
    }

    /// An error for an unexpected status, with the start of the body.
    pub fn error(&self, method: &str, url: &str) -> ProviderError {
        let body: String = self.body.trim().chars().take(500).collect();
        let body = if body.is_empty() {
            String::new()
        } else {
            format!(": {body}")
        };
        ProviderError::new(format!("{method} {url} answered {}{body}", self.status))
    }
}

/// A response's body as text, refused past [`crate::bounded::MESSAGE_LIMIT`].
async fn body_limited(mut resp: reqwest::Response) -> Result<String, String> {
    let limit = crate::bounded::MESSAGE_LIMIT;
    let too_large = || {
        format!(
            "the response is larger than the limit of {}",
            crate::bounded::size(limit)
        )
    };
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    // A body cut short by the connection is kept as far as it came, as
    // before.
    while let Ok(Some(chunk)) = resp.chunk().await {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Sends a request, retrying what may be retried. The credential is added
/// here, at send time, and goes nowhere else.
pub async fn send(
    method: &str,
    url: &str,
    body: Option<&Value>,
    settings: &Settings,
    ctx: &Context,
) -> Result<Response, ProviderError> {
    let client = shared()?;
    let m = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| ProviderError::new(format!("{method:?} is not an HTTP method")))?;
    // Only requests that are safe to repeat are retried after a timeout:
    // a POST that timed out may have created the object.
    let idempotent = m != reqwest::Method::POST && m != reqwest::Method::PATCH;
    let mut attempt = 0u32;
    loop {
        let mut req = client
            .request(m.clone(), url)
            .headers(settings.headers.clone())
            .timeout(settings.timeout);
        if let Some(b) = body {
            req = req.json(&b.to_json());
        }
        if let (Some(name), Some(secret)) = (&settings.auth_header, &ctx.authorization) {
            refuse_plain_http(url)?;
            let text = if settings.auth_scheme.is_empty() {
                secret.expose().to_string()
            } else {
                format!("{} {}", settings.auth_scheme, secret.expose())
            };
            let mut value = HeaderValue::from_str(&text).map_err(|_| {
                ProviderError::new("the environment's authorization cannot be sent in a header")
            })?;
            value.set_sensitive(true);
            req = req.header(name.clone(), value);
        }
        let left = attempt < settings.retries;
        let outcome = req.send().await;
        let wait = match outcome {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let retry_after = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(|s| Duration::from_secs_f64(s).min(MAX_WAIT));
                let body = match body_limited(resp).await {
                    Ok(body) => body,
                    Err(why) => return Err(ProviderError::new(format!("{m} {url}: {why}"))),
                };
                // What a server echoes of the credential goes no further.
                let body = match &ctx.authorization {
                    Some(s) => s.redact(&body),
                    None => body,
                };
                // A 502 or 504 after a POST may hide an object created all
                // the same: only "try later" answers are safe to repeat.
                let retryable =
                    status == 429 || status == 503 || (idempotent && (500..600).contains(&status));
                if !retryable || !left {
                    return Ok(Response { status, body });
                }
                tracing::debug!(%url, status, attempt, "retrying");
                retry_after.unwrap_or_else(|| backoff(attempt))
            }
            Err(e) => {
                let retryable = e.is_connect() || (e.is_timeout() && idempotent);
                if !retryable || !left {
                    let what = if e.is_timeout() {
                        format!(
                            "did not answer within {}",
                            crate::provider::process::human(settings.timeout)
                        )
                    } else if e.is_connect() {
                        "could not connect".to_string()
                    } else {
                        "failed".to_string()
                    };
                    let tries = if attempt > 0 {
                        format!(" (after {} attempts)", attempt + 1)
                    } else {
                        String::new()
                    };
                    return Err(ProviderError::new(format!(
                        "{m} {url} {what}{tries}: {}",
                        root_cause(&e)
                    )));
                }
                tracing::debug!(%url, attempt, error = %e, "retrying");
                backoff(attempt)
            }
        };
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// The credential travels only over TLS, or to this machine.
fn refuse_plain_http(url: &str) -> Result<(), ProviderError> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Ok(());
    };
    let host = parsed.host_str().unwrap_or("");
    let local = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if parsed.scheme() == "http" && !local {
        return Err(ProviderError::new(format!(
            "refusing to send the environment's credential to {url} over plain http; use https (plain http is allowed to this machine only), or set auth_header = \"\" to send no credential"
        )));
    }
    Ok(())
}

/// Exponential backoff with full jitter over its upper half.
fn backoff(attempt: u32) -> Duration {
    let full = BASE_BACKOFF
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_BACKOFF);
    // Random enough for jitter, and no extra crate.
    let r = (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0;
    full.mul_f64(0.5 + r / 2.0)
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) <= BASE_BACKOFF && backoff(0) >= BASE_BACKOFF / 2);
        assert!(backoff(3) >= BASE_BACKOFF * 4);
        assert!(backoff(30) <= MAX_BACKOFF);
    }
}
