//! The conformance corpus: expressions whose values come from real
//! Terraform, evaluated by terrace.
//!
//! `testdata/conformance/GROUP.cases` holds the expressions (format in
//! `testdata/conformance/make.py`, which writes `GROUP.expected.json` with
//! Terraform's values). Each group becomes one terrace project whose
//! outputs are its cases; the values `terrace output --json` gives must
//! equal Terraform's, numbers compared by their text. An expression that
//! Terraform rejects must make terrace fail too.
//!
//! Known exceptions are listed in docs/language.md, under "Conformance
//! exceptions", as `` - `GROUP/NAME`: reason ``. A listed case that passes
//! fails the test, so the list stays true.

use crate::harness::{Project, copy_dir, repo};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[test]
fn conformance_corpus_matches_terraform() {
    let dir = repo().join("testdata/conformance");
    let mut groups: Vec<String> = std::fs::read_dir(&dir)
        .expect("testdata/conformance")
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            Some(name.strip_suffix(".cases")?.to_string())
        })
        .collect();
    groups.sort();
    assert!(!groups.is_empty(), "no conformance groups");

    let exceptions = exceptions();
    let mut unexpected = Vec::new();
    let mut summary = Vec::new();
    let mut failing = BTreeSet::new();
    for group in &groups {
        let (header, cases) = parse_cases(&dir.join(format!("{group}.cases")));
        let expected = expected(&dir.join(format!("{group}.expected.json")));
        let outcomes = run_group(&dir, &header, &cases, &expected);
        let mut passed = 0;
        for (name, outcome) in outcomes {
            let id = format!("{group}/{name}");
            match outcome {
                Ok(()) => passed += 1,
                Err(why) => {
                    if !exceptions.contains(&id) {
                        unexpected.push(format!("{id}: {why}"));
                    }
                    failing.insert(id);
                }
            }
        }
        summary.push(format!("{group}: {passed}/{} pass", cases.len()));
    }
    let stale: Vec<&String> = exceptions.difference(&failing).collect();
    eprintln!("conformance: {}", summary.join(", "));
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "conformance: {}\n\ndiffers from Terraform (fix it, or list it with a reason in docs/language.md \
         \"Conformance exceptions\"):\n{}\n\nlisted as exceptions but passing (remove them):\n{:?}",
        summary.join(", "),
        unexpected.join("\n"),
        stale
    );
}

/// What Terraform gave for a case.
enum Expected {
    Value(Json),
    Error(String),
}

/// Every case's outcome: `Ok` when terrace agrees with Terraform.
fn run_group(
    dir: &Path,
    header: &str,
    cases: &[(String, String)],
    expected: &BTreeMap<String, Expected>,
) -> Vec<(String, Result<(), String>)> {
    let (values, errors): (Vec<_>, Vec<_>) = cases
        .iter()
        .partition(|(n, _)| matches!(expected.get(n), Some(Expected::Value(_))));
    let mut out = Vec::new();
    // The cases with values run together; when that fails, one by one.
    let together = evaluate(dir, header, &values);
    let singles: Vec<&(String, String)> = match &together {
        Ok(_) => Vec::new(),
        Err(_) => values.clone(),
    };
    let mut results: BTreeMap<String, Result<Json, String>> = BTreeMap::new();
    if let Ok(got) = together {
        for (name, _) in &values {
            results.insert(
                name.clone(),
                got.get(name).cloned().ok_or("no output".into()),
            );
        }
    }
    let alone = parallel(
        singles.iter().chain(errors.iter()).copied().collect(),
        |case| {
            evaluate(dir, header, &[case])
                .and_then(|mut got| got.remove(&case.0).ok_or("no output".into()))
        },
    );
    results.extend(alone);
    for (name, _) in cases {
        let outcome = match (expected.get(name), results.remove(name)) {
            (None, _) => Err("not in the expected file: run testdata/conformance/make.py".into()),
            (Some(Expected::Value(want)), Some(Ok(got))) if *want == got => Ok(()),
            (Some(Expected::Value(want)), Some(Ok(got))) => {
                Err(format!("Terraform gives {want}, terrace {got}"))
            }
            (Some(Expected::Value(want)), Some(Err(e))) => {
                Err(format!("Terraform gives {want}, terrace fails: {e}"))
            }
            (Some(Expected::Error(_)), Some(Err(_))) => Ok(()),
            (Some(Expected::Error(e)), Some(Ok(got))) => {
                Err(format!("Terraform fails ({e}), terrace gives {got}"))
            }
            (Some(_), None) => Err("not evaluated".into()),
        };
        out.push((name.clone(), outcome));
    }
    out
}

/// Applies a project whose outputs are `cases`; their values, or the error.
fn evaluate(
    dir: &Path,
    header: &str,
    cases: &[&(String, String)],
) -> Result<BTreeMap<String, Json>, String> {
    let p = Project::new();
    if dir.join("files").is_dir() {
        copy_dir(&dir.join("files"), p.root());
    }
    p.write(
        "project.hcl",
        "project \"conformance\" {}\nenvironment \"dev\" {}\n\
         configuration \"c\" {\n  architecture = \"./arch\"\n}\n",
    );
    let mut arch = format!("{header}\n");
    for (name, expr) in cases {
        arch.push_str(&format!(
            "output \"{name}\" {{\n  sensitive = true\n  value = {{ v = (\n{expr}\n) }}\n}}\n"
        ));
    }
    p.write("arch/main.hcl", &arch);
    let apply = p.run(&["apply", "--env", "dev", "--auto-approve"]);
    if apply.code != 0 {
        let first = apply.stderr.lines().find(|l| !l.trim().is_empty());
        return Err(first.unwrap_or("failed").trim().to_string());
    }
    let out = p.run(&["output", "--env", "dev", "c", "--json"]);
    if out.code != 0 {
        return Err(format!("output failed: {}", out.stderr.trim()));
    }
    let Json::Object(mut configs) = Json::parse(&out.stdout)? else {
        return Err("output --json is not an object".into());
    };
    let Some(Json::Object(outputs)) = configs.remove("c") else {
        return Err("no outputs for configuration c".into());
    };
    Ok(outputs
        .into_iter()
        .filter_map(|(name, o)| Some((name, o.get("value")?.get("v")?.clone())))
        .collect())
}

/// Runs `f` over `items` on a few threads.
fn parallel<R: Send>(
    items: Vec<&(String, String)>,
    f: impl Fn(&(String, String)) -> R + Sync,
) -> Vec<(String, R)> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    out.lock().expect("lock").push((item.0.clone(), r));
                }
            });
        }
    });
    out.into_inner().expect("lock")
}

/// The header and the `(name, expression)` cases of a `.cases` file.
fn parse_cases(path: &Path) -> (String, Vec<(String, String)>) {
    let text = std::fs::read_to_string(path).expect("cases file");
    let mut header = Vec::new();
    let mut cases: Vec<(String, Vec<&str>)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            cases.push((name.trim().to_string(), Vec::new()));
        } else if let Some((_, lines)) = cases.last_mut() {
            if !(line.starts_with('#') && lines.is_empty()) {
                lines.push(line);
            }
        } else {
            header.push(line);
        }
    }
    let cases = cases
        .into_iter()
        .map(|(name, mut lines)| {
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            (name, lines.join("\n"))
        })
        .collect();
    (header.join("\n"), cases)
}

fn expected(path: &Path) -> BTreeMap<String, Expected> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (run testdata/conformance/make.py)", path.display()));
    let Ok(Json::Object(cases)) = Json::parse(&text) else {
        panic!("{}: not a JSON object", path.display());
    };
    cases
        .into_iter()
        .map(|(name, case)| {
            let e = match (case.get("value"), case.get("error")) {
                (_, Some(Json::String(e))) => Expected::Error(e.clone()),
                (Some(v), _) => Expected::Value(v.clone()),
                _ => panic!(
                    "{}: case {name} has neither value nor error",
                    path.display()
                ),
            };
            (name, e)
        })
        .collect()
}

/// The case ids listed under "Conformance exceptions" in docs/language.md.
fn exceptions() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(repo().join("docs/language.md")).expect("docs/language.md");
    let Some(start) = doc.find("Conformance exceptions") else {
        return BTreeSet::new();
    };
    doc[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("- `")?;
            Some(rest[..rest.find('`')?].to_string())
        })
        .collect()
}

/// JSON whose numbers keep their text: Terraform's numbers are arbitrary
/// precision, and `0.30000000000000004` must not pass for `0.3`.
#[derive(Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

impl Json {
    fn parse(text: &str) -> Result<Json, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("trailing text at byte {}", p.i));
        }
        Ok(v)
    }

    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m.get(key),
            _ => None,
        }
    }
}

impl std::fmt::Display for Json {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Json::Null => write!(f, "null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(n) => write!(f, "{n}"),
            Json::String(s) => write!(f, "{s:?}"),
            Json::Array(items) => {
                write!(f, "[")?;
                for (i, v) in items.iter().enumerate() {
                    write!(f, "{}{v}", if i > 0 { "," } else { "" })?;
                }
                write!(f, "]")
            }
            Json::Object(m) => {
                write!(f, "{{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    write!(f, "{}{k:?}:{v}", if i > 0 { "," } else { "" })?;
                }
                write!(f, "}}")
            }
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut m = BTreeMap::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(Json::Object(m));
                    }
                    if !m.is_empty() {
                        self.expect(b',')?;
                        self.ws();
                    }
                    let Json::String(k) = self.value()? else {
                        return Err(format!("a key expected at byte {}", self.i));
                    };
                    self.ws();
                    self.expect(b':')?;
                    m.insert(k, self.value()?);
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Ok(Json::Array(items));
                    }
                    if !items.is_empty() {
                        self.expect(b',')?;
                    }
                    items.push(self.value()?);
                }
            }
            Some(b'"') => {
                let start = self.i;
                self.i += 1;
                while let Some(&c) = self.s.get(self.i) {
                    self.i += if c == b'\\' { 2 } else { 1 };
                    if c == b'"' {
                        let raw = std::str::from_utf8(&self.s[start..self.i])
                            .map_err(|e| e.to_string())?;
                        return serde_json::from_str(raw)
                            .map(Json::String)
                            .map_err(|e| e.to_string());
                    }
                }
                Err("unterminated string".into())
            }
            Some(b't') => self.word("true", Json::Bool(true)),
            Some(b'f') => self.word("false", Json::Bool(false)),
            Some(b'n') => self.word("null", Json::Null),
            Some(_) => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_digit() || b"+-.eE".contains(c))
                {
                    self.i += 1;
                }
                if start == self.i {
                    return Err(format!("unexpected byte at {}", self.i));
                }
                Ok(Json::Number(
                    String::from_utf8_lossy(&self.s[start..self.i]).into_owned(),
                ))
            }
            None => Err("unexpected end".into()),
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("'{}' expected at byte {}", c as char, self.i))
        }
    }

    fn word(&mut self, w: &str, v: Json) -> Result<Json, String> {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(format!("unexpected text at byte {}", self.i))
        }
    }
}
