//! The standard library of functions, with Terraform's names and meanings.
//!
//! The evaluator calls [`call`] with arguments that are wholly known and
//! free of sensitive marks: it handles unknown values (the result is unknown)
//! and sensitive ones (the result is sensitive) itself, as well as the
//! functions that need the evaluator (`try`, `can`, `sensitive`,
//! `nonsensitive`, `templatefile`).
//!
//! `FUNCTIONS` is the dispatch table: each entry names a function, its
//! parameters (for arity checks and for naming the argument at fault in
//! errors) and the Rust function that implements it. The implementations are
//! grouped by family, one module each; `args` holds the shared argument
//! readers and conversions.

mod args;
mod collections;
mod conversion;
mod crypto;
mod csv;
mod encoding;
mod filesystem;

pub use filesystem::read_limited;
mod format;
mod hash;
mod maps;
mod misc;
mod network;
mod numeric;
mod regex;
mod sequence;
mod sets;
mod strings;
mod text;
mod tfvars;
mod time;
mod yaml;

use crate::value::Value;
use args::Args;
use std::path::Path;
use std::sync::OnceLock;

/// What a function may need from outside its arguments.
pub struct Context<'a> {
    /// Relative paths in `file()` and friends are relative to this directory
    /// (the project root).
    pub base_dir: &'a Path,
    /// The time of the plan being made or applied: `plantimestamp()`.
    pub plan_time: jiff::Timestamp,
}

/// Why a call failed: the message, and which argument (0-based) was at
/// fault, if one was, so the error can point at it.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub message: String,
    pub arg: Option<usize>,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            arg: None,
        }
    }
    pub fn arg(arg: usize, message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            arg: Some(arg),
        }
    }
}

/// Calls function `name`; `None` when there is no such function.
pub fn call(name: &str, args: Vec<Value>, ctx: &Context) -> Option<Result<Value, Error>> {
    let index = FUNCTIONS.binary_search_by(|f| f.name.cmp(name)).ok()?;
    let function = FUNCTIONS.get(index)?;
    Some(function.call(args, ctx))
}

/// Functions whose result is not byte for byte Terraform's, and how it
/// differs: every call gets a warning (docs/language.md §11), never a
/// silently different value.
pub const DIFFERS_FROM_TERRAFORM: &[(&str, &str)] = &[(
    "base64gzip",
    "its compressed bytes may differ from Terraform's for texts with repeated parts (they decompress to the same text)",
)];

/// Every function name, for "did you mean" hints and the docs.
pub fn names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<&'static str> = FUNCTIONS.iter().map(|f| f.name).collect();
        names.extend_from_slice(EVALUATOR_OWNED);
        names.sort_unstable();
        names.dedup();
        names
    })
}

/// Functions the evaluator implements itself, because they need to see
/// unknown or sensitive values, catch errors, or evaluate templates.
const EVALUATOR_OWNED: &[&str] = &[
    "can",
    "issensitive",
    "nonsensitive",
    "provider::terraform::decode_tfvars",
    "sensitive",
    "templatefile",
    "templatestring",
    "try",
];

/// An implementation: most need only their arguments; the filesystem
/// functions also need the [`Context`].
enum Body {
    Pure(fn(Args) -> Result<Value, Error>),
    WithContext(fn(Args, &Context) -> Result<Value, Error>),
}

use Body::{Pure, WithContext as Ctx};

/// One entry of the dispatch table.
struct Function {
    name: &'static str,
    /// Parameter names; a variadic function's last one names every
    /// remaining argument.
    params: &'static [&'static str],
    min: usize,
    max: usize,
    body: Body,
}

/// No upper bound on the number of arguments.
const MANY: usize = usize::MAX;

/// A function taking exactly one argument per parameter.
const fn exact(name: &'static str, params: &'static [&'static str], body: Body) -> Function {
    Function {
        name,
        params,
        min: params.len(),
        max: params.len(),
        body,
    }
}

/// A function taking between `min` and `max` arguments.
const fn between(
    name: &'static str,
    params: &'static [&'static str],
    min: usize,
    max: usize,
    body: Body,
) -> Function {
    Function {
        name,
        params,
        min,
        max,
        body,
    }
}

impl Function {
    fn call(&self, values: Vec<Value>, ctx: &Context) -> Result<Value, Error> {
        if values.len() < self.min || values.len() > self.max {
            return Err(self.arity_error(values.len()));
        }
        let args = Args::new(self.params, values);
        match self.body {
            Body::Pure(f) => f(args),
            Body::WithContext(f) => f(args, ctx),
        }
    }

    fn arity_error(&self, given: usize) -> Error {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let takes = match (self.min, self.max) {
            (0, 0) => "no arguments".to_string(),
            (min, MANY) => format!("at least {min} argument{}", plural(min)),
            (min, max) if min == max => format!("{min} argument{}", plural(min)),
            (min, max) if min + 1 == max => format!("{min} or {max} arguments"),
            (min, max) => format!("{min} to {max} arguments"),
        };
        let given = match given {
            0 => "none was given".to_string(),
            1 => "1 was given".to_string(),
            n => format!("{n} were given"),
        };
        Error::new(format!(
            "function \"{}\" takes {takes}, but {given}",
            self.name
        ))
    }
}

/// The dispatch table, sorted by name so that [`call`] can search it.
#[rustfmt::skip]
const FUNCTIONS: &[Function] = &[
    exact("abs", &["num"], Pure(numeric::abs)),
    exact("abspath", &["path"], Ctx(filesystem::abspath)),
    exact("alltrue", &["list"], Pure(collections::alltrue)),
    exact("anytrue", &["list"], Pure(collections::anytrue)),
    exact("base64decode", &["str"], Pure(encoding::base64decode)),
    exact("base64encode", &["str"], Pure(encoding::base64encode)),
    exact("base64gzip", &["str"], Pure(text::base64gzip)),
    exact("base64sha256", &["str"], Pure(hash::base64sha256)),
    exact("base64sha512", &["str"], Pure(hash::base64sha512)),
    exact("basename", &["path"], Pure(filesystem::basename)),
    between("bcrypt", &["str", "cost"], 1, 2, Pure(crypto::bcrypt)),
    exact("ceil", &["num"], Pure(numeric::ceil)),
    exact("chomp", &["str"], Pure(strings::chomp)),
    exact("chunklist", &["list", "size"], Pure(collections::chunklist)),
    exact("cidrhost", &["prefix", "hostnum"], Pure(network::cidrhost)),
    exact("cidrnetmask", &["prefix"], Pure(network::cidrnetmask)),
    exact("cidrsubnet", &["prefix", "newbits", "netnum"], Pure(network::cidrsubnet)),
    between("cidrsubnets", &["prefix", "newbits"], 1, MANY, Pure(network::cidrsubnets)),
    between("coalesce", &["vals"], 1, MANY, Pure(collections::coalesce)),
    between("coalescelist", &["vals"], 1, MANY, Pure(collections::coalescelist)),
    exact("compact", &["list"], Pure(collections::compact)),
    between("concat", &["seqs"], 1, MANY, Pure(collections::concat)),
    exact("contains", &["list", "value"], Pure(collections::contains)),
    exact("csvdecode", &["str"], Pure(encoding::csvdecode)),
    exact("dirname", &["path"], Pure(filesystem::dirname)),
    exact("distinct", &["list"], Pure(sets::distinct)),
    exact("element", &["list", "index"], Pure(collections::element)),
    exact("endswith", &["str", "suffix"], Pure(strings::endswith)),
    exact("env", &["name"], Pure(misc::env)),
    exact("ephemeralasnull", &["value"], Pure(misc::ephemeralasnull)),
    exact("file", &["path"], Ctx(filesystem::file)),
    exact("filebase64", &["path"], Ctx(filesystem::filebase64)),
    exact("filebase64sha256", &["path"], Ctx(hash::filebase64sha256)),
    exact("filebase64sha512", &["path"], Ctx(hash::filebase64sha512)),
    exact("fileexists", &["path"], Ctx(filesystem::fileexists)),
    exact("filemd5", &["path"], Ctx(hash::filemd5)),
    exact("fileset", &["path", "pattern"], Ctx(filesystem::fileset)),
    exact("filesha1", &["path"], Ctx(hash::filesha1)),
    exact("filesha256", &["path"], Ctx(hash::filesha256)),
    exact("filesha512", &["path"], Ctx(hash::filesha512)),
    exact("flatten", &["list"], Pure(collections::flatten)),
    exact("floor", &["num"], Pure(numeric::floor)),
    between("format", &["format", "args"], 1, MANY, Pure(format::format)),
    exact("formatdate", &["spec", "timestamp"], Pure(time::formatdate)),
    between("formatlist", &["format", "args"], 1, MANY, Pure(format::formatlist)),
    exact("indent", &["spaces", "str"], Pure(strings::indent)),
    exact("index", &["list", "value"], Pure(collections::index)),
    between("join", &["separator", "lists"], 2, MANY, Pure(strings::join)),
    exact("jsondecode", &["str"], Pure(encoding::jsondecode)),
    exact("jsonencode", &["val"], Pure(encoding::jsonencode)),
    exact("keys", &["inputMap"], Pure(maps::keys)),
    exact("length", &["value"], Pure(collections::length)),
    exact("log", &["num", "base"], Pure(numeric::log)),
    between("lookup", &["inputMap", "key", "default"], 2, 3, Pure(maps::lookup)),
    exact("lower", &["str"], Pure(strings::lower)),
    exact("matchkeys", &["values", "keys", "searchset"], Pure(collections::matchkeys)),
    between("max", &["numbers"], 1, MANY, Pure(numeric::max)),
    exact("md5", &["str"], Pure(hash::md5)),
    between("merge", &["maps"], 0, MANY, Pure(maps::merge)),
    between("min", &["numbers"], 1, MANY, Pure(numeric::min)),
    exact("one", &["list"], Pure(collections::one)),
    exact("parseint", &["number", "base"], Pure(numeric::parseint)),
    exact("pathexpand", &["path"], Pure(filesystem::pathexpand)),
    exact("plantimestamp", &[], Ctx(time::plantimestamp)),
    exact("pow", &["num", "power"], Pure(numeric::pow)),
    exact("provider::terraform::encode_expr", &["value"], Pure(tfvars::encode_expr)),
    exact("provider::terraform::encode_tfvars", &["value"], Pure(tfvars::encode_tfvars)),
    between("range", &["params"], 1, 3, Pure(sequence::range)),
    exact("regex", &["pattern", "string"], Pure(regex::regex)),
    exact("regexall", &["pattern", "string"], Pure(regex::regexall)),
    exact("replace", &["str", "substr", "replace"], Pure(regex::replace)),
    exact("reverse", &["list"], Pure(collections::reverse)),
    exact("rsadecrypt", &["ciphertext", "privatekey"], Pure(crypto::rsadecrypt)),
    between("setintersection", &["first_set", "other_sets"], 1, MANY, Pure(sets::setintersection)),
    between("setproduct", &["sets"], 2, MANY, Pure(sets::setproduct)),
    exact("setsubtract", &["a", "b"], Pure(sets::setsubtract)),
    between("setunion", &["first_set", "other_sets"], 1, MANY, Pure(sets::setunion)),
    exact("sha1", &["str"], Pure(hash::sha1)),
    exact("sha256", &["str"], Pure(hash::sha256)),
    exact("sha512", &["str"], Pure(hash::sha512)),
    exact("signum", &["num"], Pure(numeric::signum)),
    exact("slice", &["list", "start_index", "end_index"], Pure(collections::slice)),
    exact("sort", &["list"], Pure(collections::sort)),
    exact("split", &["separator", "str"], Pure(strings::split)),
    exact("startswith", &["str", "prefix"], Pure(strings::startswith)),
    exact("strcontains", &["str", "substr"], Pure(strings::strcontains)),
    exact("strrev", &["str"], Pure(strings::strrev)),
    exact("substr", &["str", "offset", "length"], Pure(strings::substr)),
    exact("sum", &["list"], Pure(collections::sum)),
    exact("textdecodebase64", &["source", "encoding"], Pure(text::textdecodebase64)),
    exact("textencodebase64", &["string", "encoding"], Pure(text::textencodebase64)),
    exact("timeadd", &["timestamp", "duration"], Pure(time::timeadd)),
    exact("timecmp", &["timestamp_a", "timestamp_b"], Pure(time::timecmp)),
    exact("timestamp", &[], Pure(misc::timestamp)),
    exact("title", &["str"], Pure(strings::title)),
    exact("tobool", &["v"], Pure(conversion::tobool)),
    exact("tolist", &["v"], Pure(conversion::tolist)),
    exact("tomap", &["v"], Pure(conversion::tomap)),
    exact("tonumber", &["v"], Pure(conversion::tonumber)),
    exact("toset", &["v"], Pure(conversion::toset)),
    exact("tostring", &["v"], Pure(conversion::tostring)),
    exact("transpose", &["values"], Pure(maps::transpose)),
    exact("trim", &["str", "cutset"], Pure(strings::trim)),
    exact("trimprefix", &["str", "prefix"], Pure(strings::trimprefix)),
    exact("trimspace", &["str"], Pure(strings::trimspace)),
    exact("trimsuffix", &["str", "suffix"], Pure(strings::trimsuffix)),
    exact("upper", &["str"], Pure(strings::upper)),
    exact("urlencode", &["str"], Pure(encoding::urlencode)),
    exact("uuid", &[], Pure(misc::uuid)),
    exact("uuidv5", &["namespace", "name"], Pure(crypto::uuidv5)),
    exact("values", &["mapping"], Pure(maps::values)),
    exact("yamldecode", &["src"], Pure(yaml::yamldecode)),
    exact("yamlencode", &["value"], Pure(yaml::yamlencode)),
    exact("zipmap", &["keys", "values"], Pure(maps::zipmap)),
];

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn ctx() -> Context<'static> {
        Context {
            base_dir: Path::new("."),
            plan_time: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn names_are_sorted_unique_and_complete() {
        let names = names();
        assert!(
            names.windows(2).all(|w| w[0] < w[1]),
            "names must be sorted and unique"
        );
        assert!(names.len() >= 70, "only {} names", names.len());
        for owned in EVALUATOR_OWNED {
            assert!(names.contains(owned));
        }
        assert!(
            FUNCTIONS.windows(2).all(|w| w[0].name < w[1].name),
            "table must be sorted"
        );
    }

    #[test]
    fn every_name_dispatches_except_the_evaluators() {
        for name in names() {
            let found = call(name, vec![], &ctx());
            assert_eq!(found.is_some(), !EVALUATOR_OWNED.contains(name), "{name}");
        }
        assert!(call("no_such_function", vec![], &ctx()).is_none());
    }

    #[test]
    fn wrong_argument_counts_are_refused() {
        let err = call("upper", vec![], &ctx()).unwrap().unwrap_err();
        assert_eq!(
            err.message,
            "function \"upper\" takes 1 argument, but none was given"
        );
        let err = call("lookup", vec![Value::Null], &ctx())
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err.message,
            "function \"lookup\" takes 2 or 3 arguments, but 1 was given"
        );
        let err = call("range", vec![Value::Null; 4], &ctx())
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err.message,
            "function \"range\" takes 1 to 3 arguments, but 4 were given"
        );
        let err = call("join", vec![Value::Null], &ctx())
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err.message,
            "function \"join\" takes at least 2 arguments, but 1 was given"
        );
        let err = call("uuid", vec![Value::Null], &ctx())
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err.message,
            "function \"uuid\" takes no arguments, but 1 was given"
        );
    }

    #[test]
    fn no_function_panics_on_odd_arguments() {
        use crate::value::{Map, Number};
        let odd = [
            Value::Null,
            Value::Bool(true),
            Value::int(-1),
            Value::int(i64::MAX),
            Value::int(i64::MIN),
            Value::Number(Number::from_f64(1e300)),
            Value::Number(Number::from_f64(-0.5)),
            Value::string(""),
            Value::string("%[9]d %"),
            Value::string("/(/"),
            Value::string("10.0.0.0/8"),
            Value::List(vec![]),
            Value::List(vec![Value::int(1), Value::string("x"), Value::Null]),
            Value::Object(Map::new()),
            Value::Object(Map::from([(
                "a".into(),
                Value::List(vec![Value::string("1")]),
            )])),
            Value::Unknown,
            Value::string("x").sensitive(),
        ];
        let few = odd.get(..8).unwrap_or_default();
        for function in FUNCTIONS {
            for a in &odd {
                let _ = function.call(vec![a.clone()], &ctx());
                for b in &odd {
                    let _ = function.call(vec![a.clone(), b.clone()], &ctx());
                }
            }
            for a in few {
                for b in few {
                    for c in few {
                        let _ = function.call(vec![a.clone(), b.clone(), c.clone()], &ctx());
                    }
                }
            }
        }
    }

    #[test]
    fn errors_name_the_argument_at_fault() {
        let err = call("upper", vec![Value::Null], &ctx())
            .unwrap()
            .unwrap_err();
        assert_eq!(err.message, "argument \"str\" must not be null");
        assert_eq!(err.arg, Some(0));
    }
}
