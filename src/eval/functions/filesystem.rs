//! Filesystem functions: `file`, `filebase64`, `fileexists` (which read
//! files relative to the project root), and `basename`, `dirname`,
//! `abspath`, `pathexpand` (which work on path strings as Go's
//! `path/filepath` does, with `/` separators).

use super::args::Args;
use super::{Context, Error};
use crate::value::Value;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::io::ErrorKind;
use std::path::PathBuf;

/// `file(path)`: the contents of a UTF-8 text file.
pub fn file(args: Args, ctx: &Context) -> Result<Value, Error> {
    let bytes = read_bytes(&args, 0, ctx)?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        let path = args.string(0).unwrap_or_default();
        Error::arg(
            0,
            format!(
                "contents of {path:?} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead"
            ),
        )
    })
}

/// `filebase64(path)`: the contents of any file, in Base64.
pub fn filebase64(args: Args, ctx: &Context) -> Result<Value, Error> {
    Ok(Value::String(STANDARD.encode(read_bytes(&args, 0, ctx)?)))
}

/// `fileexists(path)`: whether a regular file exists there; a directory
/// is an error rather than `false`.
pub fn fileexists(args: Args, ctx: &Context) -> Result<Value, Error> {
    let (given, path) = resolve(&args, 0, ctx)?;
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => Ok(Value::Bool(true)),
        Ok(meta) if meta.is_dir() => Err(Error::arg(
            0,
            format!("{given:?} is a directory, not a file"),
        )),
        Ok(_) => Err(Error::arg(0, format!("{given:?} is not a regular file"))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Value::Bool(false)),
        Err(e) => Err(Error::arg(0, format!("failed to stat {given:?}: {e}"))),
    }
}

/// `basename(path)`: the last element of the path.
pub fn basename(args: Args) -> Result<Value, Error> {
    let path = args.string(0)?;
    let trimmed = path.trim_end_matches('/');
    let base = match (path.is_empty(), trimmed.is_empty()) {
        (true, _) => ".",
        (false, true) => "/",
        (false, false) => trimmed.rsplit('/').next().unwrap_or(trimmed),
    };
    Ok(Value::from(base))
}

/// `dirname(path)`: everything but the last element, cleaned.
pub fn dirname(args: Args) -> Result<Value, Error> {
    let path = args.string(0)?;
    let dir = match path.rfind('/') {
        Some(i) => path.get(..=i).unwrap_or_default(),
        None => "",
    };
    Ok(Value::String(clean(dir)))
}

/// `abspath(path)`: the path made absolute against the project root and
/// cleaned, with `/` separators.
pub fn abspath(args: Args, ctx: &Context) -> Result<Value, Error> {
    let path = args.string(0)?;
    let base = std::path::absolute(ctx.base_dir)
        .map_err(|e| Error::new(format!("cannot find the project directory: {e}")))?;
    let joined = base.join(&path);
    Ok(Value::String(clean(
        &joined.to_string_lossy().replace('\\', "/"),
    )))
}

/// `pathexpand(path)`: a leading `~` replaced by the home directory.
pub fn pathexpand(args: Args) -> Result<Value, Error> {
    let path = args.string(0)?;
    expand_home(&path)
        .map(Value::String)
        .map_err(|e| Error::arg(0, e))
}

fn expand_home(path: &str) -> Result<String, String> {
    let Some(rest) = path.strip_prefix('~') else {
        return Ok(path.to_string());
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return Err("cannot expand user-specific home dir".to_string());
    }
    let home = std::env::var("HOME")
        .ok()
        .filter(|h| !h.is_empty())
        .ok_or("cannot find the home directory: HOME is not set")?;
    Ok(clean(&format!("{home}/{rest}")))
}

/// The most files `fileset` looks at, so that a pattern over a huge tree
/// fails instead of hanging a plan.
const MAX_FILESET_WALK: usize = 100_000;

/// `fileset(path, pattern)`: the regular files under `path` whose path
/// relative to it matches a glob pattern (`*` and `?` within one path
/// element, `**` across elements, `{a,b}` alternatives, `[a-z]` and `[^a-z]`
/// classes), as a sorted set of `/`-separated relative paths. A directory
/// that does not exist gives an empty set.
pub fn fileset(args: Args, ctx: &Context) -> Result<Value, Error> {
    let (_, root) = resolve(&args, 0, ctx)?;
    let pattern = args.string(1)?;
    let glob = globset::GlobBuilder::new(&pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .empty_alternates(true)
        .build()
        .map_err(|e| {
            Error::arg(
                1,
                format!("failed to glob pattern {pattern:?}: {}", e.kind()),
            )
        })?
        .compile_matcher();
    let mut found = Vec::new();
    let mut pending = vec![(root, String::new())];
    let mut seen = 0usize;
    while let Some((dir, prefix)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_FILESET_WALK {
                return Err(Error::arg(
                    0,
                    format!(
                        "holds more than {MAX_FILESET_WALK} entries; choose a smaller directory"
                    ),
                ));
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            // Follows symbolic links, as Terraform's stat of each match does.
            let Ok(meta) = std::fs::metadata(entry.path()) else {
                continue;
            };
            if meta.is_dir() {
                pending.push((entry.path(), relative));
            } else if meta.is_file() && glob.is_match(&relative) {
                found.push(relative);
            }
        }
    }
    found.sort();
    Ok(Value::List(found.into_iter().map(Value::String).collect()))
}

/// The path argument `i` as given, and where it points: `~` expanded and a
/// relative path taken from the project root.
fn resolve(args: &Args, i: usize, ctx: &Context) -> Result<(String, PathBuf), Error> {
    let given = args.string(i)?;
    let expanded = expand_home(&given).map_err(|e| Error::arg(i, e))?;
    Ok((given, ctx.base_dir.join(expanded)))
}

/// The bytes of the file named by argument `i`.
pub fn read_bytes(args: &Args, i: usize, ctx: &Context) -> Result<Vec<u8>, Error> {
    let (given, path) = resolve(args, i, ctx)?;
    read_limited(&path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => Error::arg(
            i,
            format!(
                "no file exists at {given:?}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource"
            ),
        ),
        _ => Error::arg(i, format!("failed to read {given:?}: {e}")),
    })
}

/// The most a file function reads: definitions are not the place for
/// larger files, and a device such as /dev/zero must not hang a plan.
pub const MAX_FILE: u64 = 64 << 20;

/// Reads a whole file of at most [`MAX_FILE`] bytes.
pub fn read_limited(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(std::io::Error::other(format!(
            "it is larger than {} MiB",
            MAX_FILE >> 20
        )));
    }
    Ok(bytes)
}

/// Go's `path.Clean`: the shortest equivalent path, lexically.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Context, Error, call};
    use super::clean;
    use crate::value::Value;
    use std::path::Path;

    fn run(name: &str, v: &str, base: &Path) -> Result<Value, Error> {
        call(
            name,
            vec![Value::string(v)],
            &Context {
                base_dir: base,
                plan_time: jiff::Timestamp::UNIX_EPOCH,
            },
        )
        .expect("exists")
    }

    fn path_fn(name: &str, v: &str) -> Value {
        run(name, v, Path::new("/project")).unwrap()
    }

    #[test]
    fn reads_files_relative_to_the_project() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hello.txt"), "Hello World").unwrap();
        std::fs::write(dir.path().join("bin"), [0xff, 0x00]).unwrap();
        assert_eq!(
            run("file", "hello.txt", dir.path()),
            Ok(Value::string("Hello World"))
        );
        assert_eq!(
            run("filebase64", "hello.txt", dir.path()),
            Ok(Value::string("SGVsbG8gV29ybGQ="))
        );
        assert_eq!(
            run("filebase64", "bin", dir.path()),
            Ok(Value::string("/wA="))
        );
        let err = run("file", "bin", dir.path()).unwrap_err();
        assert!(
            err.message
                .starts_with("contents of \"bin\" are not valid UTF-8")
        );
        let err = run("file", "nope.txt", dir.path()).unwrap_err();
        assert!(
            err.message.starts_with("no file exists at \"nope.txt\""),
            "{}",
            err.message
        );
        assert_eq!(err.arg, Some(0));
        assert!(
            run("file", ".", dir.path())
                .unwrap_err()
                .message
                .starts_with("failed to read \".\"")
        );
    }

    #[test]
    fn fileexists_tells_files_from_directories() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "").unwrap();
        assert_eq!(
            run("fileexists", "a.txt", dir.path()),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            run("fileexists", "b.txt", dir.path()),
            Ok(Value::Bool(false))
        );
        assert!(
            run("fileexists", ".", dir.path())
                .unwrap_err()
                .message
                .contains("is a directory")
        );
    }

    #[test]
    fn path_strings_follow_go() {
        assert_eq!(
            path_fn("basename", "foo/bar/baz.txt"),
            Value::string("baz.txt")
        );
        assert_eq!(path_fn("basename", "foo/bar/"), Value::string("bar"));
        assert_eq!(path_fn("basename", "/"), Value::string("/"));
        assert_eq!(path_fn("basename", ""), Value::string("."));
        assert_eq!(
            path_fn("dirname", "foo/bar/baz.txt"),
            Value::string("foo/bar")
        );
        assert_eq!(path_fn("dirname", "foo"), Value::string("."));
        assert_eq!(path_fn("dirname", "/foo"), Value::string("/"));
        assert_eq!(path_fn("dirname", "a/b/"), Value::string("a/b"));
        assert_eq!(
            path_fn("abspath", "x/../y/./z"),
            Value::string("/project/y/z")
        );
        assert_eq!(
            path_fn("abspath", "/etc//hosts"),
            Value::string("/etc/hosts")
        );
        assert_eq!(clean("../a/../../b"), "../../b");
        assert_eq!(clean("/../a"), "/a");
    }

    #[test]
    fn pathexpand_replaces_a_leading_tilde() {
        let home = std::env::var("HOME").unwrap_or_default();
        if !home.is_empty() {
            assert_eq!(
                path_fn("pathexpand", "~/.ssh/id_rsa"),
                Value::String(clean(&format!("{home}/.ssh/id_rsa")))
            );
        }
        assert_eq!(
            path_fn("pathexpand", "/etc/resolv.conf"),
            Value::string("/etc/resolv.conf")
        );
        assert_eq!(path_fn("pathexpand", "a/~b"), Value::string("a/~b"));
        assert!(run("pathexpand", "~root/x", Path::new(".")).is_err());
    }
}
