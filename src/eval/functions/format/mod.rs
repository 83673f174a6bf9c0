//! `format` and `formatlist`: printf-style formatting with Terraform's verbs
//! (`%s %q %d %f %e %g %t %v %#v %b %o %x %X %%`), flags (`+ - 0 #` and
//! space), widths, precisions and explicit argument indexes (`%[2]s`).

mod number;

use super::Error;
use super::args::{Args, MAX_ELEMENTS, to_bool, to_number, to_string};
use super::encoding::{encode_json, json_string};
use super::strings::{MAX_STRING_BYTES, clusters};
use crate::value::Value;
use number::{format_float, format_integer, shortest_g};

/// `format(spec, values...)`.
pub fn format(args: Args) -> Result<Value, Error> {
    let spec = args.string(0)?;
    let mut values = Vec::with_capacity(args.len().saturating_sub(1));
    for i in 1..args.len() {
        values.push(args.value(i)?.clone());
    }
    format_values(&spec, &values)
        .map(Value::String)
        .map_err(Error::new)
}

/// `formatlist(spec, values...)`: `format` applied element-wise. List
/// arguments must all have the same length, which is the result's length;
/// other arguments are repeated for every element.
pub fn formatlist(args: Args) -> Result<Value, Error> {
    let spec = args.string(0)?;
    let mut length: Option<(usize, usize)> = None;
    for i in 1..args.len() {
        if let Value::List(items) = args.value(i)? {
            match length {
                None => length = Some((items.len(), i)),
                Some((n, first)) if n != items.len() => {
                    return Err(Error::arg(
                        i,
                        format!(
                            "argument {i} has length {}, which is inconsistent with argument {first} of length {n}",
                            items.len()
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    let rows = length.map_or(1, |(n, _)| n);
    let mut out = Vec::with_capacity(rows);
    for row in 0..rows {
        let mut values = Vec::with_capacity(args.len().saturating_sub(1));
        for i in 1..args.len() {
            values.push(match args.value(i)? {
                Value::List(items) => items.get(row).cloned().unwrap_or_default(),
                v => v.clone(),
            });
        }
        let line = format_values(&spec, &values)
            .map_err(|e| Error::new(format!("error on format iteration {row}: {e}")))?;
        out.push(Value::String(line));
    }
    Ok(Value::List(out))
}

/// One `%` sequence, parsed.
#[derive(Default)]
struct Verb<'a> {
    raw: &'a str,
    offset: usize,
    arg: usize,
    plus: bool,
    minus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    precision: Option<usize>,
    mode: char,
}

/// Formats `values` by `spec`; the error is the whole message.
fn format_values(spec: &str, values: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut next_arg = 1;
    let mut used = 0;
    let mut rest = spec;
    while let Some(at) = rest.find('%') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let offset = spec.len() - rest.len() + at;
        let tail = rest.get(at..).unwrap_or_default();
        if tail.starts_with("%%") {
            out.push('%');
            rest = tail.get(2..).unwrap_or_default();
            continue;
        }
        let (mut verb, len) = parse_verb(tail, offset)?;
        verb.raw = tail.get(..len).unwrap_or_default();
        if verb.arg == 0 {
            verb.arg = next_arg;
        }
        next_arg = verb.arg + 1;
        used = used.max(verb.arg);
        let value = values.get(verb.arg - 1).ok_or_else(|| {
            format!(
                "not enough arguments for {:?} at {offset}: need index {} but have {} total",
                verb.raw,
                verb.arg,
                values.len()
            )
        })?;
        out.push_str(&format_one(&verb, value)?);
        if out.len() > MAX_STRING_BYTES {
            return Err("the formatted string would be too long".to_string());
        }
        rest = tail.get(len..).unwrap_or_default();
    }
    out.push_str(rest);
    match used {
        n if n >= values.len() => Ok(out),
        0 => Err("too many arguments; no verbs in format string".to_string()),
        n => Err(format!(
            "too many arguments; only {n} used by format string"
        )),
    }
}

/// Parses the verb at the start of `s` (which starts with `%`), returning
/// it and its length in bytes.
fn parse_verb(s: &str, offset: usize) -> Result<(Verb<'_>, usize), String> {
    let mut verb = Verb {
        offset,
        ..Verb::default()
    };
    let mut scan = Scanner { s, pos: 1, offset };
    while let Some(c) = scan.peek() {
        match c {
            '+' => verb.plus = true,
            '-' => verb.minus = true,
            '#' => verb.sharp = true,
            '0' => verb.zero = true,
            ' ' => verb.space = true,
            _ => break,
        }
        scan.bump();
    }
    scan.index(&mut verb)?;
    verb.width = scan.number()?;
    if scan.peek() == Some('.') {
        scan.bump();
        verb.precision = Some(scan.number()?.unwrap_or(0));
    }
    scan.index(&mut verb)?;
    let at = scan.pos;
    match scan.bump() {
        Some(c) if c.is_ascii_alphabetic() => {
            verb.mode = c;
            if !"vtbdoxXeEfgGsq".contains(c) {
                let raw = s.get(..scan.pos).unwrap_or_default();
                return Err(format!(
                    "unsupported format verb {c:?} in {raw:?} at offset {offset}"
                ));
            }
            Ok((verb, scan.pos))
        }
        Some(c) => Err(format!(
            "unrecognized format character {c:?} at offset {}",
            offset + at
        )),
        None => Err(format!("unfinished format verb at offset {offset}")),
    }
}

/// A cursor over one verb's text; `offset` is where the verb starts in the
/// whole format string, for messages.
struct Scanner<'a> {
    s: &'a str,
    pos: usize,
    offset: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.pos..)?.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// A decimal number, if one is next.
    fn number(&mut self) -> Result<Option<usize>, String> {
        let mut n: Option<usize> = None;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            let next = n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize);
            if next > MAX_ELEMENTS {
                return Err(format!(
                    "width or precision too large at offset {}",
                    self.offset
                ));
            }
            n = Some(next);
            self.bump();
        }
        Ok(n)
    }

    /// An explicit argument index, `[n]`, if one is next.
    fn index(&mut self, verb: &mut Verb) -> Result<(), String> {
        if self.peek() != Some('[') {
            return Ok(());
        }
        self.bump();
        let at = self.pos;
        match (self.number()?, self.bump()) {
            (Some(n), Some(']')) if n > 0 => {
                verb.arg = n;
                Ok(())
            }
            _ => {
                let c = self
                    .s
                    .get(at..)
                    .and_then(|t| t.chars().next())
                    .unwrap_or('?');
                Err(format!(
                    "unrecognized format character {c:?} at offset {}",
                    self.offset + at
                ))
            }
        }
    }
}

fn format_one(verb: &Verb, value: &Value) -> Result<String, String> {
    let unsupported = |why: &str| {
        format!(
            "unsupported value for {:?} at {}: {why}",
            verb.raw, verb.offset
        )
    };
    if value.is_null() && verb.mode != 'v' {
        return Err(unsupported("null value cannot be formatted"));
    }
    match verb.mode {
        'v' => {
            let text = match value {
                Value::String(s) if !verb.sharp => s.clone(),
                Value::Number(n) if !verb.sharp => shortest_g(n),
                v => encode_json(v).map_err(|e| unsupported(&e))?,
            };
            Ok(pad_text(verb, text))
        }
        't' => to_bool(value)
            .map(|b| b.to_string())
            .ok_or_else(|| unsupported("bool required")),
        's' | 'q' => {
            let s = to_string(value).ok_or_else(|| unsupported("string required"))?;
            let s = match verb.precision {
                Some(p) if p > 0 => clusters(&s).into_iter().take(p).collect(),
                _ => s,
            };
            Ok(pad_text(
                verb,
                if verb.mode == 'q' { json_string(&s) } else { s },
            ))
        }
        _ => {
            let n = to_number(value).ok_or_else(|| unsupported("number required"))?;
            if "bdoxX".contains(verb.mode) {
                let (negative, magnitude) = n
                    .trunc_big()
                    .filter(|_| n.is_integer())
                    .ok_or_else(|| unsupported("an integer is required"))?;
                Ok(format_integer(verb, negative, &magnitude))
            } else {
                Ok(format_float(verb, n))
            }
        }
    }
}

/// Pads by the width in characters, as Terraform pads strings.
fn pad_text(verb: &Verb, text: String) -> String {
    let len = clusters(&text).len();
    let Some(pad) = verb
        .width
        .and_then(|w| w.checked_sub(len))
        .filter(|&p| p > 0)
    else {
        return text;
    };
    let pads = if verb.zero { "0" } else { " " }.repeat(pad);
    if verb.minus {
        text + &pads
    } else {
        pads + &text
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{Error, call};
    use crate::value::{Map, Value};

    fn fmt(spec: &str, args: Vec<Value>) -> Result<String, String> {
        let mut all = vec![Value::string(spec)];
        all.extend(args);
        match call("format", all, &ctx()).expect("exists") {
            Ok(Value::String(s)) => Ok(s),
            Ok(other) => panic!("not a string: {other:?}"),
            Err(Error { message, .. }) => Err(message),
        }
    }

    fn ok(spec: &str, args: Vec<Value>) -> String {
        fmt(spec, args).unwrap()
    }

    #[test]
    fn terraform_examples() {
        assert_eq!(ok("Hello, %s!", vec!["Ander".into()]), "Hello, Ander!");
        assert_eq!(
            ok("There are %d lights", vec![Value::int(4)]),
            "There are 4 lights"
        );
        assert_eq!(ok("%#v", vec!["hello".into()]), "\"hello\"");
        assert_eq!(ok("%#v", vec![true.into()]), "true");
        assert_eq!(ok("%#v", vec![Value::int(1)]), "1");
        let object = Value::Object(Map::from([("a".to_string(), Value::int(1))]));
        assert_eq!(ok("%#v", vec![object]), "{\"a\":1}");
        assert_eq!(ok("%#v", vec![Value::List(vec![true.into()])]), "[true]");
        assert_eq!(ok("%#v", vec![Value::Null]), "null");
        assert_eq!(ok("%v", vec![Value::Null]), "null");
        assert_eq!(ok("100%% successful", vec![]), "100% successful");
        assert_eq!(ok("", vec![]), "");
    }

    #[test]
    fn strings_pad_and_truncate_by_character() {
        assert_eq!(ok("%10s|", vec!["hello".into()]), "     hello|");
        assert_eq!(ok("%-10s|", vec!["hello".into()]), "hello     |");
        assert_eq!(ok("%.2s", vec!["hello".into()]), "he");
        assert_eq!(ok("%.5s", vec!["日本語日本語".into()]), "日本語日本");
        assert_eq!(ok("%4.2s", vec!["hello".into()]), "  he");
        assert_eq!(ok("%6.2q", vec!["hello".into()]), "  \"he\"");
        assert_eq!(ok("%q", vec!["Hello\nWorld".into()]), "\"Hello\\nWorld\"");
        assert_eq!(ok("%q", vec![false.into()]), "\"false\"");
        assert_eq!(
            ok("This statement is %s", vec![false.into()]),
            "This statement is false"
        );
        assert_eq!(ok("%s", vec![Value::int(5)]), "5");
    }

    #[test]
    fn explicit_indexes_pick_arguments() {
        assert_eq!(
            ok("Hello, %[2]s!", vec!["Stephen".into(), "Ermintrude".into()]),
            "Hello, Ermintrude!"
        );
        assert_eq!(ok("%[2]s %[1]s", vec!["a".into(), "b".into()]), "b a");
        assert_eq!(ok("%[1]s %[1]s", vec!["a".into()]), "a a");
    }

    #[test]
    fn mistakes_are_reported() {
        assert_eq!(
            fmt("%s is not in the args list", vec![]).unwrap_err(),
            "not enough arguments for \"%s\" at 0: need index 1 but have 0 total"
        );
        assert_eq!(
            fmt("%v %v %v", vec![true.into(), true.into()]).unwrap_err(),
            "not enough arguments for \"%v\" at 6: need index 3 but have 2 total"
        );
        assert_eq!(
            fmt("%z", vec![Value::int(1)]).unwrap_err(),
            "unsupported format verb 'z' in \"%z\" at offset 0"
        );
        assert_eq!(
            fmt("%☠", vec![Value::int(1)]).unwrap_err(),
            "unrecognized format character '☠' at offset 1"
        );
        assert_eq!(
            fmt("%[0]s", vec![Value::int(1)]).unwrap_err(),
            "unrecognized format character '0' at offset 2"
        );
        assert_eq!(
            fmt("no verbs", vec![Value::int(1)]).unwrap_err(),
            "too many arguments; no verbs in format string"
        );
        assert_eq!(
            fmt("one %d", vec![Value::int(1), Value::int(2)]).unwrap_err(),
            "too many arguments; only 1 used by format string"
        );
        assert_eq!(
            fmt("%s", vec![Value::Null]).unwrap_err(),
            "unsupported value for \"%s\" at 0: null value cannot be formatted"
        );
        assert_eq!(
            fmt("%s", vec![Value::List(vec![])]).unwrap_err(),
            "unsupported value for \"%s\" at 0: string required"
        );
        assert_eq!(
            fmt("50%", vec![]).unwrap_err(),
            "unfinished format verb at offset 2"
        );
        assert!(fmt("%99999999999d", vec![Value::int(1)]).is_err());
        assert!(fmt("%1000000d%1000000d", vec![Value::int(1), Value::int(1)]).is_ok());
    }

    #[test]
    fn formatlist_repeats_scalars_across_lists() {
        let names = Value::List(vec!["Valentina".into(), "Ander".into()]);
        let got = call("formatlist", vec!["Hello, %s!".into(), names], &ctx()).unwrap();
        assert_eq!(
            got,
            Ok(Value::List(vec![
                "Hello, Valentina!".into(),
                "Hello, Ander!".into()
            ]))
        );
        let pairs = vec![
            "%s, %s!".into(),
            "Salutations".into(),
            Value::List(vec!["Valentina".into(), "Ander".into()]),
        ];
        let got = call("formatlist", pairs, &ctx()).unwrap().unwrap();
        assert_eq!(
            got,
            Value::List(vec![
                "Salutations, Valentina!".into(),
                "Salutations, Ander!".into()
            ])
        );
        let single = call("formatlist", vec!["%s".into(), "x".into()], &ctx()).unwrap();
        assert_eq!(single, Ok(Value::List(vec!["x".into()])));
        let empty = call("formatlist", vec!["%v".into(), Value::List(vec![])], &ctx()).unwrap();
        assert_eq!(empty, Ok(Value::List(vec![])));
        let uneven = vec![
            "%s %s".into(),
            Value::List(vec!["a".into(), "b".into()]),
            Value::List(vec!["c".into()]),
        ];
        let err = call("formatlist", uneven, &ctx()).unwrap().unwrap_err();
        assert_eq!(
            err.message,
            "argument 2 has length 1, which is inconsistent with argument 1 of length 2"
        );
    }
}
