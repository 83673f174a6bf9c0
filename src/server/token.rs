//! API tokens: 32 random bytes from the operating system, shown once in
//! hex; only their sha256 is ever stored or compared.

/// A new token, for the user to keep: it is printed once and never
/// stored.
pub fn generate() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| format!("cannot read random bytes from the operating system: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The hash under which a token is stored and looked up.
pub fn hash(token: &str) -> String {
    crate::digest::sha256_hex(token.trim().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_64_hex_digits_and_never_repeat() {
        let (a, b) = (generate().unwrap(), generate().unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn the_hash_is_the_sha256_of_the_token_and_not_the_token() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let t = generate().unwrap();
        assert_ne!(hash(&t), t);
        assert_eq!(hash(&t), hash(&format!("{t}\n")));
    }
}
