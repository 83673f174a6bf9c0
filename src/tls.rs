//! TLS for every HTTP client terrace builds (the catalog, the `http`
//! provider): reqwest is built without a crypto provider, because the
//! default one (aws-lc-rs) is a long C build, so ring is installed here.

/// Installs ring as rustls' process-wide crypto provider; building a
/// client without one panics. Idempotent: an error means a provider is
/// installed already, which is all that is needed.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
