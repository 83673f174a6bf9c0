//! Reads with a size limit: every record, definition and answer terrace
//! reads is bounded, so that a file symlinked to `/dev/zero`, a runaway
//! command or a server that never stops sending ends in a clear error
//! instead of filling the memory.
//!
//! | what | limit |
//! | --- | --- |
//! | records under `.terrace/` (state, backups, journal, lifecycle, approvals, releases, audit, drift), saved plans, `project.json` | [`record_limit`]: 1 GiB, `TERRACE_MAX_RECORD_MB` |
//! | definition files, variable files, files a `file` resource reads back, other architecture files (streamed into the hash with [`stream_file`]) | [`DEFINITION_LIMIT`] |
//! | one plugin message, an HTTP response body, a command's output | [`MESSAGE_LIMIT`] |
//!
//! A record must also be a regular file: a device or a pipe is refused
//! before anything is read.

use std::io::{BufRead, Error, ErrorKind, Read};
use std::path::Path;

/// Definition files, variable files and files read by functions.
pub const DEFINITION_LIMIT: u64 = 256 << 20;
/// One message from a plugin, one HTTP response body, one command's
/// standard output or error.
pub const MESSAGE_LIMIT: u64 = 64 << 20;
/// The default [`record_limit`], in MiB.
const RECORD_LIMIT_MB: u64 = 1024;

/// The largest record terrace reads: `TERRACE_MAX_RECORD_MB` MiB, else 1 GiB.
pub fn record_limit() -> u64 {
    std::env::var("TERRACE_MAX_RECORD_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|mb| *mb > 0)
        .unwrap_or(RECORD_LIMIT_MB)
        .saturating_mul(1 << 20)
}

/// Reads a record (a regular file) of at most [`record_limit`] bytes.
/// The error (kind `NotFound` when it does not exist) says what is wrong
/// but not the path: callers name it.
pub fn read_record(path: &Path) -> std::io::Result<Vec<u8>> {
    read_record_as_of(path).map(|(bytes, _)| bytes)
}

/// [`read_record`], with the metadata of the file that was read (taken
/// from the open file before reading: a file renamed over it meanwhile has
/// other metadata).
pub fn read_record_as_of(path: &Path) -> std::io::Result<(Vec<u8>, std::fs::Metadata)> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "it is not a regular file (terrace writes its records as plain files)",
        ));
    }
    let limit = record_limit();
    let bytes = read_from(file, Some(meta.len()), limit, || {
        format!(
            "it is larger than the limit of {} for a record (TERRACE_MAX_RECORD_MB raises it)",
            size(limit)
        )
    })?;
    Ok((bytes, meta))
}

/// [`read_record`] as UTF-8 text.
pub fn read_record_string(path: &Path) -> std::io::Result<String> {
    utf8(read_record(path)?)
}

/// [`read_limited`] as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> std::io::Result<String> {
    utf8(read_limited(path, limit)?)
}

fn utf8(bytes: Vec<u8>) -> std::io::Result<String> {
    String::from_utf8(bytes).map_err(|_| Error::new(ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// Reads any file (a pipe too, such as `<(…)`) of at most `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let len = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    read_from(file, len, limit, || {
        format!("it is larger than the limit of {}", size(limit))
    })
}

/// Feeds the regular file at `path` to `sink` in pieces (a hash, say),
/// refusing a device, a pipe or a file larger than `limit` bytes before
/// anything is fed where its size says so. Nothing is held in memory.
pub fn stream_file(
    path: &Path,
    limit: u64,
    sink: &mut impl std::io::Write,
) -> std::io::Result<u64> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "it is not a regular file",
        ));
    }
    let too_large = || {
        Error::new(
            ErrorKind::FileTooLarge,
            format!("it is larger than the limit of {}", size(limit)),
        )
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let n = std::io::copy(&mut file.take(limit + 1), sink)?;
    if n > limit {
        return Err(too_large());
    }
    Ok(n)
}

/// Reads everything `reader` gives, up to `limit` bytes; `len`, when known,
/// refuses a larger file before reading it.
pub fn read_from(
    reader: impl Read,
    len: Option<u64>,
    limit: u64,
    too_large: impl Fn() -> String,
) -> std::io::Result<Vec<u8>> {
    if len.is_some_and(|l| l > limit) {
        return Err(Error::new(ErrorKind::FileTooLarge, too_large()));
    }
    let mut bytes = Vec::with_capacity(len.unwrap_or(0).min(limit) as usize);
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(Error::new(ErrorKind::FileTooLarge, too_large()));
    }
    Ok(bytes)
}

/// Reads one line (without its `\n`) of at most `limit` bytes; `None` at
/// the end of the input.
pub fn read_line(
    reader: &mut impl std::io::BufRead,
    limit: u64,
) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = reader.take(limit + 1).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if buf.len() as u64 > limit {
        return Err(Error::new(
            ErrorKind::FileTooLarge,
            format!("a line is longer than the limit of {}", size(limit)),
        ));
    }
    utf8(buf).map(Some)
}

/// A byte count as people read it: `64 MiB`, `1 GiB`, `512 bytes`.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_past_the_limit_is_cut_off_with_an_error() {
        let e = read_from(std::io::repeat(0), None, 1000, || "too big".into()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::FileTooLarge);
        assert_eq!(e.to_string(), "too big");
        let ok = read_from(&b"12345"[..], None, 5, || "too big".into()).unwrap();
        assert_eq!(ok, b"12345");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_not_read_as_a_record() {
        let e = read_record(Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    #[test]
    fn a_line_past_the_limit_is_an_error_and_shorter_ones_are_read() {
        let mut r = std::io::BufReader::new(&b"ab\ncdef\n"[..]);
        assert_eq!(read_line(&mut r, 3).unwrap().as_deref(), Some("ab"));
        assert_eq!(
            read_line(&mut r, 3).unwrap_err().kind(),
            ErrorKind::FileTooLarge
        );
        let mut r = std::io::BufReader::new(&b"ab"[..]);
        assert_eq!(read_line(&mut r, 3).unwrap().as_deref(), Some("ab"));
        assert_eq!(read_line(&mut r, 3).unwrap(), None);
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size(1 << 30), "1 GiB");
        assert_eq!(size(64 << 20), "64 MiB");
        assert_eq!(size(512), "512 bytes");
    }
}
