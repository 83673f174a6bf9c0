//! TLS to the database: rustls with ring (see [`crate::tls`]) and the
//! platform's trusted roots, as the HTTP clients use. The URL's `sslmode`
//! decides whether it is used: `disable` never, `prefer` (the default)
//! when the server offers it, `require` always. When TLS is used the
//! server's certificate is verified against the platform's roots (stricter
//! than libpq's `require`, which encrypts without verifying).

use std::sync::OnceLock;
use tokio_postgres_rustls::MakeRustlsConnect;

/// A connector for [`postgres::Config::connect`]. Built once per process:
/// building it reads and parses every certificate of the platform's trust
/// store, and a command opens up to three connections (shared, lock,
/// audit trail).
pub fn connector() -> Result<MakeRustlsConnect, rustls::Error> {
    static CONNECTOR: OnceLock<Result<MakeRustlsConnect, rustls::Error>> = OnceLock::new();
    CONNECTOR
        .get_or_init(|| {
            crate::tls::install_crypto_provider();
            let config = <rustls::ClientConfig as rustls_platform_verifier::ConfigVerifierExt>::with_platform_verifier()?;
            Ok(MakeRustlsConnect::new(config))
        })
        .clone()
}
