//! The state file format: a versioned envelope with a checksum around the
//! state itself.
//!
//! ```json
//! {
//!   "format_version": 1,
//!   "checksum": "sha256:…",
//!   "state": { "serial": 3, "lineage": "…", … }
//! }
//! ```
//!
//! The checksum covers the exact bytes of `state`, so any edit (by hand or
//! by a torn write) is detected. Each format version has its own decoder;
//! a file from a newer terrace is refused, never misread.

use super::model::ConfigState;
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::io::{Seek, SeekFrom, Write};

/// The version this terrace writes.
pub const FORMAT_VERSION: u32 = 1;

/// Why a state file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("it is not a terrace state file: {0}")]
    NotState(String),
    #[error(
        "its checksum does not match its content (expected {expected}, found {actual}): it was edited or damaged"
    )]
    Checksum { expected: String, actual: String },
    #[error(
        "it was written by a newer terrace (format version {0}; this terrace reads up to {FORMAT_VERSION})"
    )]
    Newer(u32),
    /// A well-formed state of something else: another environment,
    /// configuration or history (a file copied or restored by mistake).
    #[error("{0}")]
    Foreign(String),
}

#[derive(Deserialize)]
struct Envelope<'a> {
    format_version: u32,
    checksum: String,
    #[serde(borrow)]
    state: &'a RawValue,
}

fn checksum(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Writes a state file into `out`, streaming: the checksum has a fixed
/// length, so a placeholder goes first and is overwritten once the state
/// has gone through the hash. A large state is never held in memory.
pub fn write<W: Write + Seek>(out: &mut W, state: &ConfigState) -> std::io::Result<()> {
    let header = |sum: &str| {
        format!(
            "{{\n  \"format_version\": {FORMAT_VERSION},\n  \"checksum\": \"{sum}\",\n  \"state\": "
        )
    };
    let start = out.stream_position()?;
    out.write_all(header(&checksum(b"")).as_bytes())?;
    let hash = {
        // The buffer sits in front of the hash, so that the hash and the
        // file see 64 KiB blocks rather than one call per JSON token.
        let mut buffered = std::io::BufWriter::with_capacity(
            1 << 16,
            Hashing {
                inner: &mut *out,
                hash: Sha256::new(),
            },
        );
        serde_json::to_writer_pretty(&mut buffered, state).map_err(std::io::Error::other)?;
        buffered.flush()?;
        buffered.into_parts().0.hash
    };
    let sum = format!("sha256:{:x}", hash.finalize());
    out.write_all(b"\n}\n")?;
    let end = out.stream_position()?;
    out.seek(SeekFrom::Start(start))?;
    out.write_all(header(&sum).as_bytes())?;
    out.seek(SeekFrom::Start(end))?;
    Ok(())
}

/// Passes bytes through while hashing them.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Decodes a state file, verifying its checksum.
pub fn decode(bytes: &[u8]) -> Result<ConfigState, FormatError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| FormatError::NotState("it is not UTF-8 text".into()))?;
    // A file laid out as [`write`] writes it is read in one pass over the
    // state; anything else (or anything wrong) takes the general way below,
    // which gives the same result and every error.
    if let Some(state) = as_written(text) {
        return Ok(state);
    }
    let env: Envelope =
        serde_json::from_str(text).map_err(|e| FormatError::NotState(e.to_string()))?;
    if env.format_version > FORMAT_VERSION {
        return Err(FormatError::Newer(env.format_version));
    }
    let actual = checksum(env.state.get().as_bytes());
    if actual != env.checksum {
        return Err(FormatError::Checksum {
            expected: env.checksum,
            actual,
        });
    }
    match env.format_version {
        1 => {
            serde_json::from_str(env.state.get()).map_err(|e| FormatError::NotState(e.to_string()))
        }
        v => Err(FormatError::NotState(format!("unknown format version {v}"))),
    }
}

/// Checks that `state` is the state of configuration `config` in
/// environment `env`, and of history `lineage` when one is known (the
/// lineage of the version it replaced).
pub fn check_owner(
    state: &ConfigState,
    env: &str,
    config: &str,
    lineage: Option<&str>,
) -> Result<(), FormatError> {
    if state.environment != env {
        return Err(FormatError::Foreign(format!(
            "it is the state of environment \"{}\", not \"{env}\" (a file copied from another environment?)",
            state.environment
        )));
    }
    if state.configuration != config {
        return Err(FormatError::Foreign(format!(
            "it is the state of configuration \"{}\", not \"{config}\" (a file copied from another configuration?)",
            state.configuration
        )));
    }
    if let Some(lineage) = lineage
        && state.lineage != lineage
    {
        return Err(FormatError::Foreign(format!(
            "its lineage {} is not the lineage {lineage} of this configuration's history (a file copied from another project?)",
            state.lineage
        )));
    }
    Ok(())
}

/// The lineage a state file names, read from its first few kilobytes
/// without reading or verifying the rest (the writer puts it before the
/// resources). `None` when it is not found there.
pub fn peek_lineage(path: &std::path::Path) -> Option<String> {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    let text = String::from_utf8_lossy(&head);
    let state = &text[text.find("\"state\"")?..];
    let rest = &state[state.find("\"lineage\"")? + "\"lineage\"".len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let value = &rest[..rest.find('"')?];
    (!value.is_empty() && !value.contains('\\')).then(|| value.to_string())
}

/// The state of a file exactly as [`write`] lays it out (the header, the
/// state, `\n}\n`) whose checksum matches: found without parsing the
/// envelope as JSON, which would mean a second pass over the whole state.
fn as_written(text: &str) -> Option<ConfigState> {
    let rest = text.strip_prefix("{\n  \"format_version\": ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let version: u32 = rest[..digits].parse().ok()?;
    let rest = rest[digits..].strip_prefix(",\n  \"checksum\": \"")?;
    let (sum, rest) = rest.split_once('"')?;
    let state = rest
        .strip_prefix(",\n  \"state\": ")?
        .strip_suffix("\n}\n")?;
    if version != FORMAT_VERSION {
        return None;
    }
    // A large state is hashed on a thread of its own while it is decoded:
    // each takes a good part of the read. A state that does not match its
    // checksum is dropped, and the general way reports it.
    let matches = || checksum(state.as_bytes()) == sum;
    std::thread::scope(|scope| {
        let hashing = (state.len() > HASH_ASIDE_ABOVE)
            .then(|| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, matches)
                    .ok()
            })
            .flatten();
        let decoded = serde_json::from_str(state).ok();
        let matched = match hashing {
            Some(h) => h.join().unwrap_or(false),
            None => matches(),
        };
        decoded.filter(|_| matched)
    })
}

/// The size of state above which [`as_written`] hashes beside decoding.
const HASH_ASIDE_ABOVE: usize = 256 << 10;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    /// Encodes a state file.
    fn encode(state: &ConfigState) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        write(&mut out, state).expect("writing to memory does not fail");
        out.into_inner()
    }

    fn sample() -> ConfigState {
        let mut env = crate::state::EnvState::new("dev");
        let (_, a) = crate::address::InstanceAddr::parse("net/terrace_data.x").unwrap();
        env.set_instance(&a, Value::string("v"), None);
        env.configs.remove("net").unwrap()
    }

    #[test]
    fn owner_check_names_what_the_file_belongs_to() {
        let s = sample();
        assert!(check_owner(&s, "dev", "net", Some(&s.lineage)).is_ok());
        let other_env = check_owner(&s, "prod", "net", None).unwrap_err();
        assert!(
            other_env
                .to_string()
                .contains("environment \"dev\", not \"prod\"")
        );
        let other_config = check_owner(&s, "dev", "app", None).unwrap_err();
        assert!(
            other_config
                .to_string()
                .contains("configuration \"net\", not \"app\"")
        );
        let other_lineage = check_owner(&s, "dev", "net", Some("x")).unwrap_err();
        assert!(other_lineage.to_string().contains("is not the lineage x"));
    }

    /// Configuration net's state with `n` objects `x{i}` holding `v{i}`.
    fn large(n: usize) -> ConfigState {
        let mut env = crate::state::EnvState::new("dev");
        for i in 0..n {
            let (_, a) =
                crate::address::InstanceAddr::parse(&format!("net/terrace_data.x{i}")).unwrap();
            env.set_instance(&a, Value::string(format!("v{i}")), None);
        }
        env.configs.remove("net").unwrap()
    }

    #[test]
    fn lineage_is_peeked_from_the_head_of_a_large_file() {
        let s = large(2000);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.1.backup.json");
        std::fs::write(&path, encode(&s)).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 4096);
        assert_eq!(peek_lineage(&path), Some(s.lineage.clone()));
        std::fs::write(&path, b"not a state file").unwrap();
        assert_eq!(peek_lineage(&path), None);
    }

    #[test]
    fn a_file_laid_out_otherwise_reads_the_same() {
        let s = sample();
        let written = String::from_utf8(encode(&s)).unwrap();
        assert!(
            as_written(&written).is_some(),
            "the fast path reads what write writes"
        );
        // The same envelope, compacted: only the general way reads it.
        let v: serde_json::Value = serde_json::from_str(&written).unwrap();
        let state = v["state"].to_string();
        let other = format!(
            "{{\"checksum\":\"{}\",\"format_version\":1,\"state\":{state}}}",
            checksum(state.as_bytes())
        );
        assert!(as_written(&other).is_none());
        assert_eq!(decode(other.as_bytes()).unwrap(), s);
        // A space before the state is not in the checksummed bytes.
        let spaced = written.replacen("\"state\": ", "\"state\":  ", 1);
        assert!(as_written(&spaced).is_none());
        assert_eq!(decode(spaced.as_bytes()).unwrap(), s);
    }

    #[test]
    fn a_large_state_hashed_beside_its_decoding_still_detects_edits() {
        let s = large(5000);
        let written = String::from_utf8(encode(&s)).unwrap();
        assert!(written.len() > HASH_ASIDE_ABOVE, "{}", written.len());
        assert_eq!(decode(written.as_bytes()).unwrap(), s);
        let edited = written.replacen("\"v4999\"", "\"w4999\"", 1);
        assert_ne!(edited, written);
        assert!(as_written(&edited).is_none());
        assert!(matches!(
            decode(edited.as_bytes()),
            Err(FormatError::Checksum { .. })
        ));
    }

    #[test]
    fn round_trips_and_detects_edits() {
        let s = sample();
        let bytes = encode(&s);
        assert_eq!(decode(&bytes).unwrap(), s);
        let edited = String::from_utf8(bytes.clone())
            .unwrap()
            .replace("\"v\"", "\"w\"");
        assert!(matches!(
            decode(edited.as_bytes()),
            Err(FormatError::Checksum { .. })
        ));
        assert!(matches!(
            decode(&bytes[..bytes.len() / 2]),
            Err(FormatError::NotState(_))
        ));
        let newer = String::from_utf8(bytes)
            .unwrap()
            .replace("\"format_version\": 1", "\"format_version\": 9");
        assert!(matches!(
            decode(newer.as_bytes()),
            Err(FormatError::Newer(9))
        ));
    }
}
