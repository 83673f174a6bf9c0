//! A small real REST server on 127.0.0.1 for the `http` tests: an
//! in-memory collection at `/things`, every request recorded, and failures
//! the test scripts in advance (a status, a `Retry-After`, a hang).

use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    pub at: std::time::Instant,
}

/// What the next request gets instead of the normal answer.
#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16, Option<u32>),
    Hang(Duration),
}

#[derive(Default)]
struct Inner {
    things: BTreeMap<String, Value>,
    next_id: u64,
    seen: Vec<Seen>,
    faults: VecDeque<Fault>,
}

pub struct Server {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let inner = Arc::new(Mutex::new(Inner::default()));
        let shared = inner.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Server { base, inner }
    }

    /// The next requests get these faults, in order.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.inner
            .lock()
            .unwrap()
            .faults
            .extend(faults.iter().cloned());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    pub fn things(&self) -> BTreeMap<String, Value> {
        self.inner.lock().unwrap().things.clone()
    }

    /// Changes an object behind terrace's back.
    pub fn set(&self, id: &str, v: Value) {
        self.inner.lock().unwrap().things.insert(id.into(), v);
    }

    pub fn remove(&self, id: &str) {
        self.inner.lock().unwrap().things.remove(id);
    }
}

fn serve(stream: TcpStream, inner: &Mutex<Inner>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    let seen = Seen {
        method: method.clone(),
        path: path.clone(),
        headers,
        body: body.clone(),
        at: std::time::Instant::now(),
    };
    let (status, extra, out) = {
        let mut g = inner.lock().unwrap();
        g.seen.push(seen);
        match g.faults.pop_front() {
            Some(Fault::Hang(d)) => {
                drop(g);
                std::thread::sleep(d);
                (500, String::new(), json!({"error": "hung"}))
            }
            Some(Fault::Status(s, after)) => (
                s,
                after.map_or(String::new(), |a| format!("Retry-After: {a}\r\n")),
                json!({"error": "scripted failure"}),
            ),
            None => route(&mut g, &method, &path, &body),
        }
    };
    let text = if out.is_null() {
        String::new()
    } else {
        out.to_string()
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.flush();
}

fn route(g: &mut Inner, method: &str, path: &str, body: &str) -> (u16, String, Value) {
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", ["info"]) => (
            200,
            String::new(),
            json!({"region": "eu-de", "things": g.things.len()}),
        ),
        ("POST", ["things"]) => {
            g.next_id += 1;
            let id = format!("t{}", g.next_id);
            let mut obj = parsed.as_object().cloned().unwrap_or_default();
            obj.insert("id".into(), json!(id));
            g.things.insert(id, Value::Object(obj.clone()));
            (201, String::new(), Value::Object(obj))
        }
        ("GET", ["things", id]) => match g.things.get(*id) {
            Some(v) => (200, String::new(), v.clone()),
            None => (404, String::new(), json!({"error": "not found"})),
        },
        ("PUT" | "PATCH", ["things", id]) => match g.things.get_mut(*id) {
            Some(v) => {
                let mut obj = if method == "PUT" {
                    serde_json::Map::new()
                } else {
                    v.as_object().cloned().unwrap_or_default()
                };
                for (k, x) in parsed.as_object().cloned().unwrap_or_default() {
                    obj.insert(k, x);
                }
                obj.insert("id".into(), json!(id));
                *v = Value::Object(obj);
                (200, String::new(), v.clone())
            }
            None => (404, String::new(), json!({"error": "not found"})),
        },
        ("DELETE", ["things", id]) => match g.things.remove(*id) {
            Some(_) => (204, String::new(), Value::Null),
            None => (404, String::new(), json!({"error": "not found"})),
        },
        _ => (400, String::new(), json!({"error": "bad route"})),
    }
}
