//! String functions: `upper`, `split`, `substr`, `trim` and friends.
//! Formatting lives in `format`, regular expressions in `regex`.

use super::Error;
use super::args::{Args, MAX_ELEMENTS, count};
use crate::value::Value;

/// The most bytes a function that pads or repeats text will produce.
pub const MAX_STRING_BYTES: usize = 64 << 20;

/// `upper(str)`: every letter in upper case.
pub fn upper(args: Args) -> Result<Value, Error> {
    Ok(Value::String(args.string(0)?.to_uppercase()))
}

/// `lower(str)`: every letter in lower case.
pub fn lower(args: Args) -> Result<Value, Error> {
    Ok(Value::String(args.string(0)?.to_lowercase()))
}

/// `title(str)`: the first letter of each word in upper case, where words
/// are split as Go's `strings.Title` splits them.
pub fn title(args: Args) -> Result<Value, Error> {
    let mut previous = ' ';
    let mut out = String::new();
    for c in args.string(0)?.chars() {
        if is_word_separator(previous) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        previous = c;
    }
    Ok(Value::String(out))
}

fn is_word_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    !c.is_alphanumeric() && c.is_whitespace()
}

/// `split(separator, str)`: the pieces between separators; an empty
/// separator splits into characters, and an empty string gives `[""]`.
pub fn split(args: Args) -> Result<Value, Error> {
    let (sep, s) = (args.string(0)?, args.string(1)?);
    let pieces: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::from).collect()
    };
    Ok(Value::List(pieces))
}

/// `join(separator, lists...)`: the elements of every list, in order,
/// with the separator between them.
pub fn join(args: Args) -> Result<Value, Error> {
    let sep = args.string(0)?;
    let mut items = Vec::new();
    for i in 1..args.len() {
        items.extend(args.strings(i)?);
    }
    Ok(Value::String(items.join(&sep)))
}

/// `trim(str, cutset)`: removes every leading and trailing character that
/// appears in `cutset`.
pub fn trim(args: Args) -> Result<Value, Error> {
    let (s, cutset) = (args.string(0)?, args.string(1)?);
    Ok(Value::from(s.trim_matches(|c| cutset.contains(c))))
}

/// `trimspace(str)`: removes leading and trailing Unicode whitespace.
pub fn trimspace(args: Args) -> Result<Value, Error> {
    Ok(Value::from(args.string(0)?.trim()))
}

/// `trimprefix(str, prefix)`: removes `prefix` once, if `str` starts with it.
pub fn trimprefix(args: Args) -> Result<Value, Error> {
    let (s, prefix) = (args.string(0)?, args.string(1)?);
    Ok(Value::from(s.strip_prefix(prefix.as_str()).unwrap_or(&s)))
}

/// `trimsuffix(str, suffix)`: removes `suffix` once, if `str` ends with it.
pub fn trimsuffix(args: Args) -> Result<Value, Error> {
    let (s, suffix) = (args.string(0)?, args.string(1)?);
    Ok(Value::from(s.strip_suffix(suffix.as_str()).unwrap_or(&s)))
}

/// `chomp(str)`: removes every trailing newline (`\n` or `\r\n`).
pub fn chomp(args: Args) -> Result<Value, Error> {
    Ok(Value::from(args.string(0)?.trim_end_matches(['\r', '\n'])))
}

/// `indent(spaces, str)`: adds `spaces` spaces at the start of every line
/// but the first.
pub fn indent(args: Args) -> Result<Value, Error> {
    let spaces = args.int(0)?;
    let s = args.string(1)?;
    let spaces = count(spaces, MAX_ELEMENTS)
        .ok_or_else(|| args.error(0, format!("must be between 0 and {MAX_ELEMENTS}")))?;
    let lines = s.matches('\n').count();
    if lines.saturating_mul(spaces).saturating_add(s.len()) > MAX_STRING_BYTES {
        return Err(Error::new("the indented string would be too long"));
    }
    let pad = format!("\n{}", " ".repeat(spaces));
    Ok(Value::String(s.replace('\n', &pad)))
}

/// `startswith(str, prefix)`.
pub fn startswith(args: Args) -> Result<Value, Error> {
    Ok(Value::Bool(args.string(0)?.starts_with(&args.string(1)?)))
}

/// `endswith(str, suffix)`.
pub fn endswith(args: Args) -> Result<Value, Error> {
    Ok(Value::Bool(args.string(0)?.ends_with(&args.string(1)?)))
}

/// `strcontains(str, substr)`.
pub fn strcontains(args: Args) -> Result<Value, Error> {
    Ok(Value::Bool(args.string(0)?.contains(&args.string(1)?)))
}

/// `strrev(str)`: the characters in reverse order, keeping each
/// character's combining marks with it.
pub fn strrev(args: Args) -> Result<Value, Error> {
    let s = args.string(0)?;
    Ok(Value::String(clusters(&s).into_iter().rev().collect()))
}

/// `substr(str, offset, length)`: `length` characters from `offset`; a
/// negative offset counts from the end and a negative length takes the rest.
pub fn substr(args: Args) -> Result<Value, Error> {
    let s = args.string(0)?;
    let (offset, length) = (args.int(1)?, args.int(2)?);
    let chars = clusters(&s);
    let total = i64::try_from(chars.len()).unwrap_or(i64::MAX);
    let start = if offset < 0 {
        offset.saturating_add(total).max(0)
    } else {
        offset
    };
    let start = usize::try_from(start)
        .unwrap_or(usize::MAX)
        .min(chars.len());
    let rest = chars.get(start..).unwrap_or_default();
    let taken = match usize::try_from(length) {
        Ok(n) => rest.get(..n.min(rest.len())).unwrap_or_default(),
        Err(_) => rest,
    };
    Ok(Value::String(taken.concat()))
}

/// The user-perceived characters of `s`: each character together with the
/// combining marks, joiners, variation selectors and skin-tone modifiers
/// that follow it, regional-indicator pairs (flags) and `\r\n` as one.
/// A close approximation of the grapheme clusters Terraform counts.
pub fn clusters(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut previous: Option<char> = None;
    let mut flag_half = false;
    for (i, c) in s.char_indices() {
        let joins = match previous {
            None => false,
            Some('\u{200D}') => true,
            Some('\r') => c == '\n',
            Some(p) if is_regional_indicator(p) && is_regional_indicator(c) => flag_half,
            Some(_) => is_extending(c),
        };
        if !joins && i > 0 {
            out.push(s.get(start..i).unwrap_or_default());
            start = i;
        }
        flag_half = is_regional_indicator(c) && !(joins && flag_half);
        previous = Some(c);
    }
    if start < s.len() {
        out.push(s.get(start..).unwrap_or_default());
    }
    out
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

fn is_extending(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}' | '\u{0483}'..='\u{0489}' | '\u{0591}'..='\u{05BD}'
        | '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0900}'..='\u{0903}'
        | '\u{093A}'..='\u{094F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}'
        | '\u{200C}'..='\u{200D}' | '\u{20D0}'..='\u{20FF}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FE20}'..='\u{FE2F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}')
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{Error, call};
    use crate::value::Value;

    fn run(name: &str, args: Vec<Value>) -> Result<Value, Error> {
        call(name, args, &ctx()).expect("function exists")
    }

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|i| s(i)).collect())
    }

    #[test]
    fn case_changes_follow_terraform_examples() {
        assert_eq!(run("upper", vec![s("hello")]), Ok(s("HELLO")));
        assert_eq!(run("upper", vec![s("алло!")]), Ok(s("АЛЛО!")));
        assert_eq!(run("lower", vec![s("HELLO")]), Ok(s("hello")));
        assert_eq!(run("lower", vec![s("АЛЛО!")]), Ok(s("алло!")));
        assert_eq!(run("title", vec![s("hello world")]), Ok(s("Hello World")));
        assert_eq!(
            run("title", vec![s("don't stop-me_now")]),
            Ok(s("Don'T Stop-Me_now"))
        );
        assert_eq!(run("upper", vec![Value::int(5)]), Ok(s("5")));
    }

    #[test]
    fn split_and_join_round_trip() {
        assert_eq!(
            run("split", vec![s(","), s("foo,bar,baz")]),
            Ok(list(&["foo", "bar", "baz"]))
        );
        assert_eq!(run("split", vec![s(","), s("foo")]), Ok(list(&["foo"])));
        assert_eq!(run("split", vec![s(","), s("")]), Ok(list(&[""])));
        assert_eq!(
            run("split", vec![s(""), s("añb")]),
            Ok(list(&["a", "ñ", "b"]))
        );
        assert_eq!(
            run("join", vec![s(", "), list(&["foo", "bar", "baz"])]),
            Ok(s("foo, bar, baz"))
        );
        assert_eq!(run("join", vec![s(", "), list(&["foo"])]), Ok(s("foo")));
        assert_eq!(
            run("join", vec![s("-"), list(&["a"]), list(&[]), list(&["b"])]),
            Ok(s("a-b"))
        );
        let with_null = Value::List(vec![s("a"), Value::Null]);
        assert_eq!(
            run("join", vec![s(","), with_null]).unwrap_err().arg,
            Some(1)
        );
    }

    #[test]
    fn trimming() {
        assert_eq!(run("trim", vec![s("?!hello?!"), s("!?")]), Ok(s("hello")));
        assert_eq!(run("trim", vec![s("foobar"), s("far")]), Ok(s("oob")));
        assert_eq!(run("trimspace", vec![s("  hello\n\n")]), Ok(s("hello")));
        assert_eq!(
            run("trimprefix", vec![s("helloworld"), s("hello")]),
            Ok(s("world"))
        );
        assert_eq!(
            run("trimprefix", vec![s("helloworld"), s("cat")]),
            Ok(s("helloworld"))
        );
        assert_eq!(
            run("trimsuffix", vec![s("helloworld"), s("world")]),
            Ok(s("hello"))
        );
        assert_eq!(run("chomp", vec![s("hello\n")]), Ok(s("hello")));
        assert_eq!(run("chomp", vec![s("hello\r\n")]), Ok(s("hello")));
        assert_eq!(run("chomp", vec![s("hello\n\n")]), Ok(s("hello")));
        assert_eq!(run("chomp", vec![s("a\nb")]), Ok(s("a\nb")));
    }

    #[test]
    fn indent_pads_all_lines_but_the_first() {
        assert_eq!(
            run("indent", vec![Value::int(2), s("a\nb\n")]),
            Ok(s("a\n  b\n  "))
        );
        assert_eq!(run("indent", vec![Value::int(2), s("")]), Ok(s("")));
        assert!(run("indent", vec![Value::int(-1), s("a")]).is_err());
        assert!(run("indent", vec![Value::int(1 << 40), s("a\nb")]).is_err());
    }

    #[test]
    fn prefix_suffix_and_contains() {
        assert_eq!(
            run("startswith", vec![s("hello world"), s("hello")]),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            run("startswith", vec![s("hello world"), s("world")]),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            run("startswith", vec![s("x"), s("")]),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            run("endswith", vec![s("hello world"), s("world")]),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            run("strcontains", vec![s("hello world"), s("wor")]),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            run("strcontains", vec![s("hello world"), s("wod")]),
            Ok(Value::Bool(false))
        );
    }

    #[test]
    fn substr_counts_characters() {
        let sub = |v: &str, o: i64, l: i64| run("substr", vec![s(v), Value::int(o), Value::int(l)]);
        assert_eq!(sub("hello world", 1, 4), Ok(s("ello")));
        assert_eq!(sub("🤔🤷", 0, 1), Ok(s("🤔")));
        assert_eq!(sub("hello world", -5, -1), Ok(s("world")));
        assert_eq!(sub("hello world", 6, 10), Ok(s("world")));
        assert_eq!(sub("hello", 10, 2), Ok(s("")));
        assert_eq!(sub("hello", -10, 2), Ok(s("he")));
        assert_eq!(sub("hello", 1, 0), Ok(s("")));
        assert_eq!(sub("", 0, 3), Ok(s("")));
        assert_eq!(sub("hello", i64::MIN, i64::MAX), Ok(s("hello")));
        assert!(
            run(
                "substr",
                vec![
                    s("x"),
                    Value::Number(crate::value::Number::from_f64(0.5)),
                    Value::int(1)
                ]
            )
            .is_err()
        );
    }

    #[test]
    fn strrev_keeps_combining_marks_and_flags_whole() {
        assert_eq!(run("strrev", vec![s("hello")]), Ok(s("olleh")));
        assert_eq!(run("strrev", vec![s("a☃")]), Ok(s("☃a")));
        assert_eq!(run("strrev", vec![s("ae\u{301}")]), Ok(s("e\u{301}a")));
        assert_eq!(run("strrev", vec![s("🇫🇷🇩🇪")]), Ok(s("🇩🇪🇫🇷")));
        assert_eq!(run("strrev", vec![s("👍🏽x")]), Ok(s("x👍🏽")));
        assert_eq!(run("strrev", vec![s("")]), Ok(s("")));
    }
}
