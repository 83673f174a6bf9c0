//! Hash functions: `md5`, `sha1`, `sha256`, `sha512` (lowercase hex),
//! `base64sha256` and `base64sha512` (Base64 of the raw digest), and their
//! `file…` variants, which hash a file's bytes instead of a string.

use super::args::Args;
use super::filesystem::read_bytes;
use super::{Context, Error};
use crate::value::Value;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::Digest;

fn hex<D: Digest>(bytes: &[u8]) -> Value
where
    sha2::digest::Output<D>: std::fmt::LowerHex,
{
    Value::String(format!("{:x}", D::digest(bytes)))
}

fn base64<D: Digest>(bytes: &[u8]) -> Value {
    Value::String(STANDARD.encode(D::digest(bytes)))
}

/// `md5(str)`: the MD5 digest of the string's UTF-8 bytes, in hex.
pub fn md5(args: Args) -> Result<Value, Error> {
    Ok(hex::<md5::Md5>(args.string(0)?.as_bytes()))
}

/// `sha1(str)`, in hex.
pub fn sha1(args: Args) -> Result<Value, Error> {
    Ok(hex::<sha1::Sha1>(args.string(0)?.as_bytes()))
}

/// `sha256(str)`, in hex.
pub fn sha256(args: Args) -> Result<Value, Error> {
    Ok(hex::<sha2::Sha256>(args.string(0)?.as_bytes()))
}

/// `sha512(str)`, in hex.
pub fn sha512(args: Args) -> Result<Value, Error> {
    Ok(hex::<sha2::Sha512>(args.string(0)?.as_bytes()))
}

/// `base64sha256(str)`: the SHA-256 digest in Base64.
pub fn base64sha256(args: Args) -> Result<Value, Error> {
    Ok(base64::<sha2::Sha256>(args.string(0)?.as_bytes()))
}

/// `base64sha512(str)`: the SHA-512 digest in Base64.
pub fn base64sha512(args: Args) -> Result<Value, Error> {
    Ok(base64::<sha2::Sha512>(args.string(0)?.as_bytes()))
}

/// `filemd5(path)`.
pub fn filemd5(args: Args, ctx: &Context) -> Result<Value, Error> {
    Ok(hex::<md5::Md5>(&read_bytes(&args, 0, ctx)?))
}

/// `filesha1(path)`.
pub fn filesha1(args: Args, ctx: &Context) -> Result<Value, Error> {
    Ok(hex::<sha1::Sha1>(&read_bytes(&args, 0, ctx)?))
}

/// `filesha256(path)`.
pub fn filesha256(args: Args, ctx: &Context) -> Result<Value, Error> {
    Ok(hex::<sha2::Sha256>(&read_bytes(&args, 0, ctx)?))
}

/// `filesha512(path)`.
pub fn filesha512(args: Args, ctx: &Context) -> Result<Value, Error> {
    Ok(hex::<sha2::Sha512>(&read_bytes(&args, 0, ctx)?))
}

/// `filebase64sha256(path)`.
pub fn filebase64sha256(args: Args, ctx: &Context) -> Result<Value, Error> {
    Ok(base64::<sha2::Sha256>(&read_bytes(&args, 0, ctx)?))
}

/// `filebase64sha512(path)`.
pub fn filebase64sha512(args: Args, ctx: &Context) -> Result<Value, Error> {
    Ok(base64::<sha2::Sha512>(&read_bytes(&args, 0, ctx)?))
}

#[cfg(test)]
mod tests {
    use super::super::{Context, Error, call};
    use crate::value::Value;

    fn run(name: &str, v: &str, base: &std::path::Path) -> Result<Value, Error> {
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

    fn hash(name: &str, v: &str) -> String {
        match run(name, v, std::path::Path::new(".")) {
            Ok(Value::String(s)) => s,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn string_hashes_match_terraform_examples() {
        assert_eq!(
            hash("md5", "hello world"),
            "5eb63bbbe01eeed093cb22bb8f5acdc3"
        );
        assert_eq!(
            hash("sha1", "hello world"),
            "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"
        );
        assert_eq!(
            hash("sha256", "hello world"),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(
            hash("sha512", "hello world"),
            "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f"
        );
        assert_eq!(
            hash("base64sha256", "hello world"),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
        assert_eq!(
            hash("base64sha512", "hello world"),
            "MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw=="
        );
        assert_eq!(hash("md5", ""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn file_hashes_hash_the_file_bytes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hello.txt"), "hello world").unwrap();
        let got = run("filesha256", "hello.txt", dir.path()).unwrap();
        assert_eq!(
            got,
            Value::string("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")
        );
        let got = run("filemd5", "hello.txt", dir.path()).unwrap();
        assert_eq!(got, Value::string("5eb63bbbe01eeed093cb22bb8f5acdc3"));
        assert!(
            run("filesha1", "missing.txt", dir.path())
                .unwrap_err()
                .message
                .contains("no file exists")
        );
    }
}
