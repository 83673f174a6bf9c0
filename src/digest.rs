//! The one content hash terrace writes: sha256 in lowercase hex (release
//! ids and files, plan-file hashes, audit chains, catalog archives).

use sha2::{Digest, Sha256};

/// The sha256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}
