//! Functions that read the world outside the configuration: `env` (which
//! Terraform lacks: terrace reads secrets such as API keys from the
//! environment), `timestamp` and `uuid`. Their results differ between runs.

use super::Error;
use super::args::Args;
use crate::value::Value;

/// `env(name)`: the value of an environment variable; an unset variable is
/// an error, so that a missing secret is noticed before anything is applied.
pub fn env(args: Args) -> Result<Value, Error> {
    let name = args.string(0)?;
    if name.is_empty() || name.contains(['=', '\0']) {
        return Err(args.error(
            0,
            format!("must be a valid environment variable name, not {name:?}"),
        ));
    }
    match std::env::var(&name) {
        Ok(value) => Ok(Value::String(value)),
        Err(std::env::VarError::NotPresent) => Err(Error::arg(
            0,
            format!("environment variable {name:?} is not set"),
        )),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::arg(
            0,
            format!("environment variable {name:?} is not valid UTF-8"),
        )),
    }
}

/// `timestamp()`: the current time in UTC, in RFC 3339 form to the second,
/// like `2018-05-13T07:44:12Z`.
pub fn timestamp(_args: Args) -> Result<Value, Error> {
    let now = jiff::Timestamp::now();
    Ok(Value::String(
        now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    ))
}

/// `ephemeralasnull(value)`: Terraform's ephemeral values become null;
/// terrace has no ephemeral values, so every value is returned as it is.
pub fn ephemeralasnull(mut args: Args) -> Result<Value, Error> {
    Ok(args.take(0))
}

/// `uuid()`: a random (version 4) UUID in its hyphenated lowercase form.
pub fn uuid(_args: Args) -> Result<Value, Error> {
    Ok(Value::String(uuid::Uuid::new_v4().to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::super::tests::ctx;
    use crate::value::Value;

    #[test]
    fn env_reads_set_variables_and_refuses_unset_ones() {
        if let Ok(path) = std::env::var("PATH") {
            assert_eq!(
                call("env", vec!["PATH".into()], &ctx()).unwrap(),
                Ok(Value::String(path))
            );
        }
        let name = "TERRACE_TEST_SURELY_UNSET_VARIABLE_5F3A";
        let err = call("env", vec![name.into()], &ctx()).unwrap().unwrap_err();
        assert_eq!(
            err.message,
            format!("environment variable \"{name}\" is not set")
        );
        assert_eq!(err.arg, Some(0));
        assert!(call("env", vec!["".into()], &ctx()).unwrap().is_err());
        assert!(call("env", vec!["A=B".into()], &ctx()).unwrap().is_err());
    }

    #[test]
    fn timestamp_is_rfc3339_utc_to_the_second() {
        let Ok(Value::String(ts)) = call("timestamp", vec![], &ctx()).unwrap() else {
            panic!("not a string")
        };
        assert_eq!(ts.len(), 20, "{ts}");
        assert!(
            ts.ends_with('Z') && ts.as_bytes().get(10) == Some(&b'T'),
            "{ts}"
        );
        assert!(ts.parse::<jiff::Timestamp>().is_ok(), "{ts}");
    }

    #[test]
    fn uuids_are_random_v4() {
        let a = call("uuid", vec![], &ctx()).unwrap().unwrap();
        let b = call("uuid", vec![], &ctx()).unwrap().unwrap();
        assert_ne!(a, b);
        let Value::String(a) = a else {
            panic!("not a string")
        };
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes().get(14), Some(&b'4'));
        assert_eq!(a, a.to_lowercase());
    }
}
