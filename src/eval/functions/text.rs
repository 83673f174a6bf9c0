//! Functions between strings and bytes in other forms: `base64gzip`,
//! `textencodebase64` and `textdecodebase64`.
//!
//! Character encodings are named as IANA names them (`UTF-16LE`,
//! `ISO-8859-1`, `windows-1252`, `Shift_JIS` …). UTF-8, UTF-16 and
//! ISO-8859-1 are converted here (the `encoding_rs` crate follows the WHATWG
//! standard, which reads `ISO-8859-1` as windows-1252 and cannot write
//! UTF-16); the other encodings are `encoding_rs`'s.

use super::Error;
use super::args::Args;
use crate::value::Value;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// `base64gzip(str)`: the string's UTF-8 bytes compressed with gzip, in
/// Base64. The stream is laid out as Go's `gzip.Writer` lays it out when
/// Terraform flushes and closes it: a header without name or time, the
/// data in non-final blocks ended by a sync flush, then an empty final
/// stored block. zlib's compressor (through `flate2`) chooses the same
/// blocks as Go's for short texts; a longer text may be compressed
/// differently, and decompresses to the same text.
pub fn base64gzip(args: Args) -> Result<Value, Error> {
    let text = args.string(0)?;
    let data = text.as_bytes();
    let mut deflate = flate2::Compress::new(flate2::Compression::default(), false);
    let mut body = Vec::with_capacity(data.len() / 2 + 64);
    loop {
        let consumed = usize::try_from(deflate.total_in()).unwrap_or(usize::MAX);
        let rest = data.get(consumed..).unwrap_or_default();
        body.reserve(rest.len() / 2 + 64);
        deflate
            .compress_vec(rest, &mut body, flate2::FlushCompress::Sync)
            .map_err(|e| Error::new(format!("failed to compress: {e}")))?;
        let done = usize::try_from(deflate.total_in()).unwrap_or(usize::MAX) >= data.len();
        if done && body.len() < body.capacity() {
            break;
        }
    }
    let mut crc = flate2::Crc::new();
    crc.update(data);
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(&body);
    // The final block: stored, empty.
    out.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    Ok(Value::String(STANDARD.encode(out)))
}

/// A character encoding, by its IANA name.
enum Charset {
    Utf8,
    Utf16 { big_endian: bool, bom: bool },
    Latin1,
    Other(&'static encoding_rs::Encoding),
}

impl Charset {
    fn named(name: &str) -> Option<Charset> {
        let key: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match key.as_str() {
            "utf8" => Charset::Utf8,
            "utf16le" => Charset::Utf16 {
                big_endian: false,
                bom: false,
            },
            "utf16be" => Charset::Utf16 {
                big_endian: true,
                bom: false,
            },
            "utf16" => Charset::Utf16 {
                big_endian: true,
                bom: true,
            },
            "iso88591" | "latin1" | "l1" | "isoir100" | "cp819" | "ibm819" | "csisolatin1" => {
                Charset::Latin1
            }
            _ => {
                let e = encoding_rs::Encoding::for_label_no_replacement(name.trim().as_bytes())?;
                if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE {
                    return None;
                }
                Charset::Other(e)
            }
        })
    }

    /// The bytes of `text`, or the first character it cannot write.
    fn encode(&self, text: &str) -> Result<Vec<u8>, char> {
        match self {
            Charset::Utf8 => Ok(text.as_bytes().to_vec()),
            Charset::Utf16 { big_endian, bom } => {
                let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
                Ok(units
                    .flat_map(|u| {
                        if *big_endian {
                            u.to_be_bytes()
                        } else {
                            u.to_le_bytes()
                        }
                    })
                    .collect())
            }
            Charset::Latin1 => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).map_err(|_| c))
                .collect(),
            Charset::Other(e) => {
                let mut encoder = e.new_encoder();
                let mut out = Vec::with_capacity(text.len() * 2 + 16);
                let mut rest = text;
                loop {
                    let needed = encoder
                        .max_buffer_length_from_utf8_without_replacement(rest.len())
                        .unwrap_or(rest.len() * 4 + 16);
                    out.reserve(needed);
                    let (result, read) =
                        encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
                    rest = &rest[read..];
                    match result {
                        encoding_rs::EncoderResult::InputEmpty => return Ok(out),
                        encoding_rs::EncoderResult::OutputFull => continue,
                        encoding_rs::EncoderResult::Unmappable(c) => return Err(c),
                    }
                }
            }
        }
    }

    /// The text of `bytes`, or `None` when they are not valid in the encoding.
    fn decode(&self, bytes: &[u8]) -> Option<String> {
        match self {
            Charset::Utf8 => String::from_utf8(bytes.to_vec()).ok(),
            Charset::Utf16 { big_endian, bom } => {
                let mut units: Vec<u16> = bytes
                    .chunks(2)
                    .map(|p| match (p, big_endian) {
                        ([a, b], true) => Some(u16::from_be_bytes([*a, *b])),
                        ([a, b], false) => Some(u16::from_le_bytes([*a, *b])),
                        _ => None,
                    })
                    .collect::<Option<_>>()?;
                if *bom && units.first() == Some(&0xFEFF) {
                    units.remove(0);
                }
                String::from_utf16(&units).ok()
            }
            Charset::Latin1 => Some(bytes.iter().map(|&b| char::from(b)).collect()),
            Charset::Other(e) => e
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|c| c.into_owned()),
        }
    }
}

fn charset(args: &Args, i: usize) -> Result<Charset, Error> {
    let name = args.string(i)?;
    Charset::named(&name).ok_or_else(|| {
        args.error(
            i,
            format!("names an unsupported character encoding: {name:?} (use an IANA name such as \"UTF-16LE\")"),
        )
    })
}

/// `textencodebase64(string, encoding)`: the string written in a character
/// encoding, in Base64.
pub fn textencodebase64(args: Args) -> Result<Value, Error> {
    let text = args.string(0)?;
    let name = args.string(1)?;
    let bytes = charset(&args, 1)?
        .encode(&text)
        .map_err(|c| args.error(0, format!("cannot be encoded in {name}: it contains {c:?}")))?;
    Ok(Value::String(STANDARD.encode(bytes)))
}

/// `textdecodebase64(source, encoding)`: Base64-encoded bytes read as text
/// in a character encoding.
pub fn textdecodebase64(args: Args) -> Result<Value, Error> {
    let encoded = args.string(0)?;
    let name = args.string(1)?;
    let set = charset(&args, 1)?;
    let bytes = STANDARD
        .decode(encoded.as_bytes())
        .map_err(|e| args.error(0, format!("is not valid Base64: {e}")))?;
    set.decode(&bytes)
        .map(Value::String)
        .ok_or_else(|| args.error(0, format!("is not valid {name} text")))
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::super::tests::ctx;
    use crate::value::Value;
    use base64::Engine;
    use std::io::Read;

    fn run(name: &str, args: &[&str]) -> Result<Value, String> {
        call(name, args.iter().map(|&a| Value::from(a)).collect(), &ctx())
            .expect("exists")
            .map_err(|e| e.message)
    }

    #[test]
    fn base64gzip_decompresses_to_the_text() {
        let Ok(Value::String(b64)) = run("base64gzip", &["test"]) else {
            panic!("not a string")
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        assert_eq!(bytes.get(..4), Some(&[0x1f, 0x8b, 8, 0][..]));
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .expect("gzip");
        assert_eq!(text, "test");
        assert_eq!(
            run("base64gzip", &["test"]),
            Ok("H4sIAAAAAAAA/ypJLS4BAAAA//8BAAD//wx+f9gEAAAA".into())
        );
    }

    #[test]
    fn text_encodings_round_trip_and_refuse_what_they_cannot_write() {
        let cases = [
            (
                "UTF-16LE",
                "Hello World",
                "SABlAGwAbABvACAAVwBvAHIAbABkAA==",
            ),
            ("ISO-8859-1", "héllo", "aOlsbG8="),
            ("windows-1252", "€5", "gDU="),
            ("Shift_JIS", "日本", "k/qWew=="),
        ];
        for (set, text, b64) in cases {
            assert_eq!(
                run("textencodebase64", &[text, set]),
                Ok(b64.into()),
                "{set}"
            );
            assert_eq!(
                run("textdecodebase64", &[b64, set]),
                Ok(text.into()),
                "{set}"
            );
        }
        assert!(run("textencodebase64", &["€", "ISO-8859-1"]).is_err());
        assert!(run("textencodebase64", &["x", "nope"]).is_err());
        assert!(run("textdecodebase64", &["!!", "UTF-8"]).is_err());
    }
}
