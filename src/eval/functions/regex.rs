//! Regular-expression functions: `regex`, `regexall`, and `replace`, whose
//! search string is a regular expression when wrapped in forward slashes.
//! The syntax and meaning are RE2's, as in Terraform: the `regex` crate
//! (whose syntax is RE2's, Unicode classes such as `\p{Greek}` included),
//! with the Perl classes `\d \w \s` and the word boundary `\b` made ASCII
//! as RE2 has them, and RE2's `\Q…\E` literal quoting. What RE2 refuses
//! (backreferences, look-around) the crate refuses too.

use super::Error;
use super::args::Args;
use super::strings::MAX_STRING_BYTES;
use crate::value::{Map, Value};
use regex::{Captures, Regex};

/// `regex(pattern, string)`: the first match, shaped by the pattern's
/// capture groups: the matched string when there are none, a list of the
/// groups when they are unnamed, a map from name to group when they are
/// named. No match is an error.
pub fn regex(args: Args) -> Result<Value, Error> {
    let (re, shape) = compile(&args)?;
    let text = args.string(1)?;
    let caps = re
        .captures(&text)
        .ok_or_else(|| Error::new("pattern did not match any part of the given string"))?;
    Ok(shape.value(&caps))
}

/// `regexall(pattern, string)`: every match, each shaped as `regex` shapes
/// it; an empty list when nothing matches.
pub fn regexall(args: Args) -> Result<Value, Error> {
    let (re, shape) = compile(&args)?;
    let text = args.string(1)?;
    Ok(Value::List(
        re.captures_iter(&text)
            .map(|caps| shape.value(&caps))
            .collect(),
    ))
}

/// `replace(str, substr, replacement)`: every occurrence of `substr`
/// replaced. When `substr` is wrapped in `/`, it is a regular expression
/// and the replacement may refer to groups as `$1`, `${1}` or `${name}`.
pub fn replace(args: Args) -> Result<Value, Error> {
    let (text, search, replacement) = (args.string(0)?, args.string(1)?, args.string(2)?);
    let pattern = (search.len() > 1)
        .then(|| search.strip_prefix('/').and_then(|s| s.strip_suffix('/')))
        .flatten();
    let Some(pattern) = pattern else {
        let count = if search.is_empty() {
            text.chars().count() + 1
        } else {
            text.matches(&search).count()
        };
        if count
            .saturating_mul(replacement.len())
            .saturating_add(text.len())
            > MAX_STRING_BYTES
        {
            return Err(Error::new("the result would be too long"));
        }
        return Ok(Value::String(text.replace(&search, &replacement)));
    };
    let re = re2(pattern).map_err(|e| Error::arg(1, e))?;
    let mut total = text.len();
    let replaced = re.replace_all(&text, |caps: &Captures| {
        let mut expanded = String::new();
        if total <= MAX_STRING_BYTES {
            caps.expand(&replacement, &mut expanded);
            total = total.saturating_add(expanded.len());
        }
        expanded
    });
    if total > MAX_STRING_BYTES {
        return Err(Error::new("the result would be too long"));
    }
    Ok(Value::String(replaced.into_owned()))
}

/// How a match becomes a value, from the pattern's capture groups.
enum Shape {
    Whole,
    Groups(usize),
    Named(Vec<(usize, String)>),
}

impl Shape {
    fn value(&self, caps: &Captures) -> Value {
        let group = |i: usize| caps.get(i).map_or(Value::Null, |m| Value::from(m.as_str()));
        match self {
            Shape::Whole => group(0),
            Shape::Groups(n) => Value::List((1..=*n).map(group).collect()),
            Shape::Named(names) => Value::Object(
                names
                    .iter()
                    .map(|(i, name)| (name.clone(), group(*i)))
                    .collect::<Map>(),
            ),
        }
    }
}

fn compile(args: &Args) -> Result<(Regex, Shape), Error> {
    let pattern = args.string(0)?;
    let re = re2(&pattern).map_err(|e| Error::arg(0, e))?;
    let mut named = Vec::new();
    let mut unnamed = 0;
    for (i, name) in re.capture_names().enumerate().skip(1) {
        match name {
            Some(name) => named.push((i, name.to_string())),
            None => unnamed += 1,
        }
    }
    let shape = match (unnamed, named.is_empty()) {
        (0, true) => Shape::Whole,
        (n, true) => Shape::Groups(n),
        (0, false) => Shape::Named(named),
        _ => {
            let message =
                "invalid regular expression: cannot use both named and unnamed capture groups";
            return Err(Error::arg(0, message));
        }
    };
    Ok((re, shape))
}

/// Compiles an RE2 pattern: the `regex` crate's syntax is RE2's, but its
/// Perl classes and word boundaries are Unicode-aware where RE2's are ASCII,
/// and it lacks `\Q…\E`; [`ascii_perl_classes`] rewrites those first.
fn re2(pattern: &str) -> Result<Regex, String> {
    let rewritten = ascii_perl_classes(pattern);
    regex::RegexBuilder::new(&rewritten)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| {
            let e = e.to_string();
            // The crate's message is a multi-line picture of the pattern;
            // its last line says what is wrong.
            let why = e.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(&e);
            format!(
                "error parsing pattern: {}",
                why.trim().trim_start_matches("error: ")
            )
        })
}

/// Rewrites `\d \D \w \W \s \S` as the ASCII classes RE2 gives them
/// (nested classes, valid inside `[…]` too), `\b \B` as ASCII word
/// boundaries, and `\Q…\E` as escaped literals; everything else is kept.
fn ascii_perl_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                match next {
                    'd' => out.push_str("[0-9]"),
                    'D' => out.push_str("[^0-9]"),
                    'w' => out.push_str("[0-9A-Za-z_]"),
                    'W' => out.push_str("[^0-9A-Za-z_]"),
                    's' => out.push_str("[\\t\\n\\f\\r ]"),
                    'S' => out.push_str("[^\\t\\n\\f\\r ]"),
                    'b' if !in_class => out.push_str("(?-u:\\b)"),
                    'B' if !in_class => out.push_str("(?-u:\\B)"),
                    'Q' => {
                        let rest = chars.as_str();
                        let (literal, after) = match rest.find("\\E") {
                            Some(end) => (&rest[..end], &rest[end + 2..]),
                            None => (rest, ""),
                        };
                        if in_class {
                            for l in literal.chars() {
                                out.push_str(&regex::escape(&l.to_string()));
                            }
                        } else {
                            out.push_str("(?:");
                            out.push_str(&regex::escape(literal));
                            out.push(')');
                        }
                        chars = after.chars();
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` or `^]` right after the opening bracket is literal.
                let rest = chars.as_str();
                let skip = if rest.starts_with("^]") {
                    2
                } else if rest.starts_with(']') || rest.starts_with('^') {
                    1
                } else {
                    0
                };
                out.push_str(&rest[..skip]);
                chars = rest[skip..].chars();
            }
            '[' if chars.as_str().starts_with(':') => {
                // A POSIX class such as `[:alpha:]` inside a class.
                let rest = chars.as_str();
                match rest.find(":]") {
                    Some(end) => {
                        out.push('[');
                        out.push_str(&rest[..end + 2]);
                        chars = rest[end + 2..].chars();
                    }
                    None => out.push('['),
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{Error, call};
    use crate::value::{Map, Value};

    fn run(name: &str, args: &[&str]) -> Result<Value, Error> {
        call(name, args.iter().map(|&a| Value::from(a)).collect(), &ctx()).expect("exists")
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|&s| Value::from(s)).collect())
    }

    #[test]
    fn regex_shapes_follow_terraform_examples() {
        assert_eq!(
            run("regex", &["[a-z]+", "53453453.345345aaabbbccc23454"]),
            Ok(Value::from("aaabbbccc"))
        );
        assert_eq!(
            run("regex", &[r"(\d\d\d\d)-(\d\d)-(\d\d)", "2019-02-01"]),
            Ok(list(&["2019", "02", "01"]))
        );
        let got = run(
            "regex",
            &[
                r"^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?",
                "https://terraform.io/docs/",
            ],
        );
        let want = Map::from([
            ("scheme".into(), "https".into()),
            ("authority".into(), "terraform.io".into()),
        ]);
        assert_eq!(got, Ok(Value::Object(want)));
        assert_eq!(
            run("regex", &["(a)|(b)", "b"]),
            Ok(Value::List(vec![Value::Null, "b".into()]))
        );
        assert_eq!(
            run("regex", &["x", "abc"]).unwrap_err().message,
            "pattern did not match any part of the given string"
        );
        assert!(
            run("regex", &["(?P<a>x)(y)", "xy"])
                .unwrap_err()
                .message
                .contains("both named and unnamed")
        );
        assert!(
            run("regex", &["(", "x"])
                .unwrap_err()
                .message
                .starts_with("error parsing pattern")
        );
    }

    #[test]
    fn regexall_finds_every_match() {
        assert_eq!(
            run("regexall", &["[a-z]+", "1234abcd5678efgh9"]),
            Ok(list(&["abcd", "efgh"]))
        );
        assert_eq!(run("regexall", &["[a-z]+", "123"]), Ok(list(&[])));
        let pairs = run("regexall", &[r"(\w)=(\d)", "a=1 b=2"]);
        assert_eq!(
            pairs,
            Ok(Value::List(vec![list(&["a", "1"]), list(&["b", "2"])]))
        );
    }

    #[test]
    fn replace_takes_substrings_or_slash_wrapped_patterns() {
        assert_eq!(
            run("replace", &["1 + 2 + 3", "+", "-"]),
            Ok(Value::from("1 - 2 - 3"))
        );
        assert_eq!(
            run("replace", &["hello world", "/w.*d/", "everybody"]),
            Ok(Value::from("hello everybody"))
        );
        assert_eq!(
            run("replace", &["hello world", "/(h)(e)/", "$2$1"]),
            Ok(Value::from("ehllo world"))
        );
        assert_eq!(
            run(
                "replace",
                &["key=value", "/(?P<k>\\w+)=(?P<v>\\w+)/", "${v}=${k}"]
            ),
            Ok(Value::from("value=key"))
        );
        assert_eq!(run("replace", &["a/b", "/", "-"]), Ok(Value::from("a-b")));
        assert_eq!(run("replace", &["ab", "", "-"]), Ok(Value::from("-a-b-")));
        assert_eq!(
            run("replace", &["cost: $5", "/\\$(\\d)/", "$$$1"]),
            Ok(Value::from("cost: $5"))
        );
        assert!(run("replace", &["x", "/(/", "y"]).is_err());
    }

    #[test]
    fn unicode_classes_work_and_perl_classes_stay_ascii_as_in_re2() {
        assert_eq!(
            run("regex", &[r"\p{L}+", "123héllo"]),
            Ok(Value::from("héllo"))
        );
        assert_eq!(run("regexall", &[r"\w+", "héllo"]), Ok(list(&["h", "llo"])));
        assert_eq!(run("regexall", &[r"[\d]+", "1٣2"]), Ok(list(&["1", "2"])));
        assert_eq!(run("regexall", &[r"\bh", "éh h"]), Ok(list(&["h", "h"])));
        assert_eq!(run("regex", &[r"\Qa.b\E", "xa.b"]), Ok(Value::from("a.b")));
        assert_eq!(
            run("regex", &[r"[[:alpha:]\d]+", "-a1-"]),
            Ok(Value::from("a1"))
        );
        assert_eq!(run("regex", &[r"[]a]+", "x]a"]), Ok(Value::from("]a")));
        for refused in [r"(a)\1", "a(?=b)", "(?<!a)b"] {
            assert!(run("regex", &[refused, "ab"]).is_err(), "{refused}");
        }
    }
}
