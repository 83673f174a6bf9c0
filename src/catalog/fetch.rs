//! HTTP: one reqwest client per operation, bounded downloads, errors that
//! name the URL and the cause.

use super::CatalogError;
use std::time::Duration;

/// The largest index read.
const INDEX_LIMIT: usize = 16 << 20;
/// The largest archive downloaded.
pub const ARCHIVE_LIMIT: usize = 256 << 20;

/// Runs `f` to completion on a runtime of its own, on a thread of its own:
/// the catalog's callers may be synchronous or inside another runtime.
pub fn block_on<T: Send>(
    f: impl std::future::Future<Output = T> + Send,
) -> Result<T, CatalogError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| CatalogError::Runtime(e.to_string()))?;
                Ok(rt.block_on(f))
            })
            .join()
            .unwrap_or_else(|_| Err(CatalogError::Runtime("the fetch thread failed".into())))
    })
}

/// An HTTP client for one catalog operation.
pub struct Fetcher {
    client: reqwest::Client,
}

impl Fetcher {
    pub fn new() -> Result<Fetcher, CatalogError> {
        crate::tls::install_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(concat!("terrace/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| {
                CatalogError::Runtime(format!("cannot build an HTTP client: {}", chain(&e)))
            })?;
        Ok(Fetcher { client })
    }

    /// The index at `url`, as bytes.
    pub async fn index(&self, url: &reqwest::Url) -> Result<Vec<u8>, CatalogError> {
        self.get(url, INDEX_LIMIT).await
    }

    /// An archive at `url`, as bytes.
    pub async fn archive(&self, url: &reqwest::Url) -> Result<Vec<u8>, CatalogError> {
        self.get(url, ARCHIVE_LIMIT).await
    }

    async fn get(&self, url: &reqwest::Url, limit: usize) -> Result<Vec<u8>, CatalogError> {
        let fail = |e: reqwest::Error| CatalogError::Fetch {
            url: url.to_string(),
            cause: chain(&e.without_url()),
        };
        let mut resp = self.client.get(url.clone()).send().await.map_err(fail)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(CatalogError::Fetch {
                url: url.to_string(),
                cause: format!("the server answered {status}"),
            });
        }
        let too_large = || CatalogError::Fetch {
            url: url.to_string(),
            cause: format!("larger than {} MiB", limit >> 20),
        };
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(fail)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// An error with its causes: reqwest's own message alone rarely says why.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = cause.source();
    }
    s
}
