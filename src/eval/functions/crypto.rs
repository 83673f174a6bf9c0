//! Cryptographic functions beyond plain digests: `bcrypt` (the `bcrypt`
//! crate), `rsadecrypt` (the `rsa` crate, PKCS #1 v1.5) and `uuidv5` (the
//! `uuid` crate).

use super::Error;
use super::args::Args;
use crate::value::Value;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The cost `bcrypt` uses when none is given, and for one below the
/// minimum, as Go's `bcrypt.GenerateFromPassword` does.
const BCRYPT_DEFAULT_COST: u32 = 10;

/// `bcrypt(str[, cost])`: a bcrypt hash of the string in the `$2a$` form.
/// Its salt is random, so the result differs on every call; Terraform's
/// resources usually ignore changes to such a value with `ignore_changes`.
pub fn bcrypt(args: Args) -> Result<Value, Error> {
    let password = args.string(0)?;
    let cost = if args.len() > 1 {
        args.int(1)?
    } else {
        i64::from(BCRYPT_DEFAULT_COST)
    };
    if cost > 31 {
        return Err(args.error(1, format!("must be at most 31, not {cost}")));
    }
    let cost = u32::try_from(cost)
        .ok()
        .filter(|&c| c >= 4)
        .unwrap_or(BCRYPT_DEFAULT_COST);
    // bcrypt reads at most 72 bytes; like Go's, longer passwords are refused
    // rather than silently cut.
    if password.len() > 72 {
        return Err(args.error(0, "is longer than 72 bytes, the most bcrypt can hash"));
    }
    let hash = ::bcrypt::hash_with_result(password.as_bytes(), cost)
        .map_err(|e| Error::new(format!("error occurred generating password: {e}")))?;
    Ok(Value::String(
        hash.format_for_version(::bcrypt::Version::TwoA),
    ))
}

/// `rsadecrypt(ciphertext, privatekey)`: Base64 ciphertext decrypted with an
/// RSA private key in PEM form (PKCS #1 `RSA PRIVATE KEY` or PKCS #8
/// `PRIVATE KEY`), PKCS #1 v1.5 padding. The key never appears in errors.
pub fn rsadecrypt(args: Args) -> Result<Value, Error> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let encoded = args.string(0)?;
    let pem = args.string(1)?;
    let ciphertext = STANDARD
        .decode(encoded.trim().as_bytes())
        .map_err(|e| args.error(0, format!("is not valid Base64: {e}")))?;
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(&pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(&pem))
        .map_err(|_| {
            args.error(
                1,
                "is not an RSA private key in PEM form (\"RSA PRIVATE KEY\" or \"PRIVATE KEY\")",
            )
        })?;
    let plain = key
        .decrypt(rsa::Pkcs1v15Encrypt, &ciphertext)
        .map_err(|_| Error::new("failed to decrypt: the ciphertext does not match the key"))?;
    String::from_utf8(plain)
        .map(Value::String)
        .map_err(|_| Error::new("the decrypted text is not valid UTF-8"))
}

/// `uuidv5(namespace, name)`: the name-based (SHA-1) UUID of `name` in a
/// namespace given as `"dns"`, `"url"`, `"oid"`, `"x500"` or a UUID.
pub fn uuidv5(args: Args) -> Result<Value, Error> {
    let namespace = args.string(0)?;
    let name = args.string(1)?;
    let ns = match namespace.as_str() {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other).map_err(|_| {
            args.error(
                0,
                format!("must be \"dns\", \"url\", \"oid\", \"x500\" or a UUID, not {other:?}"),
            )
        })?,
    };
    Ok(Value::String(
        uuid::Uuid::new_v5(&ns, name.as_bytes()).to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::super::tests::ctx;
    use crate::value::Value;

    fn run(name: &str, args: Vec<Value>) -> Result<Value, String> {
        call(name, args, &ctx())
            .expect("exists")
            .map_err(|e| e.message)
    }

    #[test]
    fn bcrypt_hashes_verify_and_carry_the_cost() {
        let Ok(Value::String(h)) = run("bcrypt", vec!["hello world".into(), Value::int(5)]) else {
            panic!("not a string")
        };
        assert!(h.starts_with("$2a$05$"), "{h}");
        assert_eq!(h.len(), 60);
        assert!(::bcrypt::verify("hello world", &h).expect("verifies"));
        assert!(!::bcrypt::verify("hello", &h).expect("verifies"));
        let Ok(Value::String(low)) = run("bcrypt", vec!["x".into(), Value::int(3)]) else {
            panic!("not a string")
        };
        assert!(low.starts_with("$2a$10$"), "a cost below 4 is 10: {low}");
        assert!(run("bcrypt", vec!["x".into(), Value::int(32)]).is_err());
        assert!(run("bcrypt", vec!["a".repeat(73).into(), Value::int(4)]).is_err());
    }

    #[test]
    fn uuidv5_matches_known_values() {
        assert_eq!(
            run("uuidv5", vec!["dns".into(), "www.terraform.io".into()]),
            Ok("a5008fae-b28c-5ba5-96cd-82b4c53552d6".into())
        );
        assert!(run("uuidv5", vec!["nope".into(), "x".into()]).is_err());
    }

    #[test]
    fn rsadecrypt_refuses_bad_input_without_showing_the_key() {
        let err = run(
            "rsadecrypt",
            vec!["aGVsbG8=".into(), "secret-key-text".into()],
        )
        .unwrap_err();
        assert!(!err.contains("secret-key-text"), "{err}");
        assert!(run("rsadecrypt", vec!["!!".into(), "x".into()]).is_err());
    }
}
