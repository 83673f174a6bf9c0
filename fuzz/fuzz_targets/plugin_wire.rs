//! Plugin wire messages (docs/plugin-protocol.md): an answer line, the
//! schemas of a handshake and the values inside answers. Any line is a
//! reply or refused, never a panic; a value read from the wire (or refused:
//! a number out of range) writes back
//! to JSON that reads as the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value as Json;
use terrace::provider::plugin::wire;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let Some((_id, reply)) = wire::reply(line) else {
        return;
    };
    let Ok(result) = reply else {
        return;
    };
    // The handshake's schemas, as `start` reads them.
    let schema = ["resource_types", "data_types"]
        .iter()
        .filter_map(|k| result.get(*k).and_then(Json::as_object))
        .flat_map(|types| types.iter())
        .filter_map(|(name, s)| wire::schema(s, name).ok())
        .next()
        .unwrap_or_default();
    for key in ["state", "planned"] {
        let Some(j) = result.get(key) else {
            continue;
        };
        let Ok(value) = wire::decode(j.clone()) else {
            continue;
        };
        let again = wire::decode(wire::encode(&value)).expect("an encoded value decodes");
        assert!(
            again.same_as(&value),
            "a value changed on the wire: {value}"
        );
        let marked = wire::remark(value.clone(), Some(&value), &schema);
        assert!(marked.same_as(&value), "remarking changed a value: {value}");
    }
});
