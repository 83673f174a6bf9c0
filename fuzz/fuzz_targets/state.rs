//! Reading a state file: any bytes are decoded or refused with a reason,
//! never a panic. The input is taken as it is, and also sealed (its
//! `state` content wrapped in an envelope with the right checksum) so that
//! the decoder behind the checksum is reached. Whatever decodes writes
//! back to a file that decodes to the same state (round trip), and writing
//! that again gives the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use terrace::state::format::{decode, write};

fuzz_target!(|data: &[u8]| {
    check(data);
    check(&seal(data));
});

/// An envelope around `data` as the `state` content, with its checksum.
fn seal(data: &[u8]) -> Vec<u8> {
    let sum = format!("sha256:{:x}", Sha256::digest(data));
    let mut out =
        format!("{{\"format_version\": 1, \"checksum\": \"{sum}\", \"state\": ").into_bytes();
    out.extend_from_slice(data);
    out.push(b'}');
    out
}

fn check(bytes: &[u8]) {
    let Ok(state) = decode(bytes) else {
        return;
    };
    let first = encode(&state);
    let again = decode(&first).expect("a written state file reads back");
    assert_eq!(state, again, "the state changed in a write and read");
    assert_eq!(
        first,
        encode(&again),
        "writing the same state twice differs"
    );
}

fn encode(state: &terrace::state::ConfigState) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    write(&mut out, state).expect("writing to memory does not fail");
    out.into_inner()
}
