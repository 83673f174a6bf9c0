//! Catalog architectures: a directory catalog, an HTTP index served by a
//! real server on 127.0.0.1, the cache, and `terrace upgrade`.

use crate::harness::Project;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const SITE_1: &str = "variable \"title\" {\n  type = string\n}\n\nresource \"file\" \"index\" {\n  path    = \"out/index.html\"\n  content = \"<h1>${var.title}</h1>\"\n}\n";
const SITE_2: &str = "variable \"title\" {\n  type = string\n}\n\nresource \"file\" \"index\" {\n  path    = \"out/index.html\"\n  content = \"<h1>${var.title}</h1>\"\n}\n\nresource \"file\" \"about\" {\n  path    = \"out/about.html\"\n  content = file(\"${path.module}/about.txt\")\n}\n";

/// A project file pinning `site` to `source`, with comments and odd
/// spacing that an upgrade must keep.
fn project_file(catalog: &str, source: &str) -> String {
    format!(
        "# The project.\nproject \"t\" {{\n  {catalog}\n}}\n\nenvironment \"dev\" {{}}\n\nconfiguration \"site\" {{\n  # pinned on purpose\n  architecture   =   \"{source}\"   # keep this comment\n  inputs = {{ title = \"Hi\" }}\n}}\n"
    )
}

/// A project with a directory catalog holding site 1.0.0 and 1.1.0.
fn with_directory_catalog(source: &str) -> Project {
    Project::new()
        .file("project.hcl", &project_file("", source))
        .file("catalog/site/1.0.0/main.hcl", SITE_1)
        .file("catalog/site/1.1.0/main.hcl", SITE_2)
        .file("catalog/site/1.1.0/about.txt", "about us")
}

#[test]
fn directory_catalog_resolves_and_plans() {
    let p = with_directory_catalog("catalog:site@1.0.0");
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("Plan: 1 to add");
    p.apply();
    assert_eq!(p.read("out/index.html"), "<h1>Hi</h1>");
    // The example project is a directory catalog too.
    Project::copy_of("examples/catalog")
        .run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("Plan: 1 to add");
}

#[test]
fn unknown_catalog_version_or_name_is_a_diagnostic_on_the_pin() {
    let p = with_directory_catalog("catalog:site@1.2.0");
    p.run(&["validate"])
        .code(1)
        .stderr_has("catalog:site@1.2.0 is not in the catalog")
        .stderr_has("project.hcl:10")
        .stderr_has("no version 1.2.0")
        .stderr_has("available versions of site: 1.0.0, 1.1.0");
    p.write("project.hcl", &project_file("", "catalog:sit@1.0.0"));
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("did you mean \"site\"?");
}

#[test]
fn upgrade_rewrites_only_the_pin_and_shows_the_plan() {
    let p = with_directory_catalog("catalog:site@1.0.0");
    p.apply();
    let before = p.read("project.hcl");
    p.run(&["upgrade", "site"])
        .success()
        .stdout_has("site: catalog:site@1.0.0 → 1.1.0 in project.hcl:10")
        .stdout_has("file.about will be created")
        .stdout_has("Plan: 1 to add, 0 to change, 0 to destroy.");
    assert_eq!(
        p.read("project.hcl"),
        before.replace("catalog:site@1.0.0", "catalog:site@1.1.0")
    );
    // Nothing was applied: the plan is only shown.
    assert!(!p.exists("out/about.html"));
    p.run(&["upgrade", "site"])
        .success()
        .stdout_has("the newest version in the catalog");
    // Back down, explicitly.
    p.run(&["upgrade", "site", "--to", "1.0.0", "--env", "dev"])
        .success()
        .stdout_has("catalog:site@1.1.0 → 1.0.0")
        .stdout_has("No changes.");
    assert_eq!(p.read("project.hcl"), before);
}

#[test]
fn upgrade_to_an_unknown_version_leaves_the_file_untouched() {
    let p = with_directory_catalog("catalog:site@1.0.0");
    let before = p.read("project.hcl");
    p.run(&["upgrade", "site", "--to", "9.0.0"])
        .code(1)
        .stderr_has("catalog:site@9.0.0 is not in the catalog; available versions: 1.0.0, 1.1.0");
    assert_eq!(p.read("project.hcl"), before);
    p.run(&["upgrade", "site", "--env", "prdo"])
        .code(1)
        .stderr_has("there is no environment \"prdo\"");
    assert_eq!(p.read("project.hcl"), before);
}

#[test]
fn upgrade_refuses_a_configuration_without_a_catalog_architecture() {
    let p = crate::harness::single(
        "resource \"file\" \"a\" {\n  path = \"out/a\"\n  content = \"a\"\n}\n",
    );
    let before = p.read("project.hcl");
    p.run(&["upgrade", "main"])
        .code(1)
        .stderr_has("configuration \"main\" uses the architecture \"./arch\", not a catalog one");
    p.run(&["upgrade", "mian"])
        .code(1)
        .stderr_has("did you mean \"main\"?");
    assert_eq!(p.read("project.hcl"), before);
}

// ---- HTTP index ----

/// A .tar.gz of `(path, content)` files; paths are written into the
/// header as given, so that unsafe ones can be made.
fn tar_gz(files: &[(&str, &str)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (path, content) in files {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        let name = &mut h.as_gnu_mut().expect("gnu header").name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_cksum();
        b.append(&h, content.as_bytes()).expect("append");
    }
    b.into_inner().expect("tar").finish().expect("gz")
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A static file server on 127.0.0.1 serving `dir`, counting requests;
/// stopped (its port closed) when dropped or by [`Server::stop`].
struct Server {
    dir: tempfile::TempDir,
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let root: PathBuf = dir.path().to_path_buf();
        let thread = {
            let stop = stop.clone();
            let requests = requests.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(conn) = conn {
                        serve(conn, &root, &requests);
                    }
                }
            })
        };
        Server {
            dir,
            port,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    fn put(&self, rel: &str, bytes: &[u8]) {
        std::fs::write(self.dir.path().join(rel), bytes).expect("write");
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }

    /// Closes the port: later connections are refused.
    fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            t.join().expect("server thread");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(mut conn: TcpStream, root: &std::path::Path, requests: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
    requests.lock().expect("lock").push(path.clone());
    let rel = path.trim_start_matches('/');
    let body = match rel.contains("..") {
        true => None,
        false => std::fs::read(root.join(rel)).ok(),
    };
    let (status, body) = match body {
        Some(b) => ("200 OK", b),
        None => ("404 Not Found", b"not found".to_vec()),
    };
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(&body);
}

/// Puts site 1.0.0 and 2.0.0 on the server, with an index listing them
/// (the 2.0.0 URL absolute, the 1.0.0 one relative); `sha_of_1` replaces
/// the true sha256 of 1.0.0's archive when given.
fn publish(server: &Server, archive_1: &[u8], sha_of_1: Option<&str>) {
    let archive_2 = tar_gz(&[("main.hcl", SITE_2), ("about.txt", "about us")]);
    server.put("site-1.0.0.tar.gz", archive_1);
    server.put("site-2.0.0.tar.gz", &archive_2);
    let index = serde_json::json!({
        "format_version": 1,
        "architectures": {
            "site": {
                "versions": {
                    "1.0.0": {
                        "url": "site-1.0.0.tar.gz",
                        "sha256": sha_of_1.map_or_else(|| sha256(archive_1), str::to_string),
                    },
                    "2.0.0": {
                        "url": server.url("site-2.0.0.tar.gz"),
                        "sha256": sha256(&archive_2),
                    }
                }
            }
        }
    });
    server.put("index.json", index.to_string().as_bytes());
}

fn with_index(server: &Server, source: &str) -> Project {
    let catalog = format!("catalog = \"{}\"", server.url("index.json"));
    Project::new().file("project.hcl", &project_file(&catalog, source))
}

#[test]
fn http_index_fetches_verifies_caches_and_then_works_offline() {
    let mut server = Server::start();
    publish(&server, &tar_gz(&[("main.hcl", SITE_1)]), None);
    let p = with_index(&server, "catalog:site@1.0.0");
    p.run(&["plan", "--env", "dev"])
        .success()
        .stderr_has("Fetched catalog:site@1.0.0 from http://127.0.0.1:")
        .stdout_has("Plan: 1 to add");
    assert_eq!(p.read(".terrace/catalog/site/1.0.0/main.hcl"), SITE_1);
    assert!(p.exists(".terrace/catalog/index.json"));
    // The cache is trusted: no second fetch.
    let before = server.requests().len();
    p.run(&["plan", "--env", "dev"]).success();
    assert_eq!(server.requests().len(), before);
    server.stop();
    p.apply();
    assert_eq!(p.read("out/index.html"), "<h1>Hi</h1>");
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("No changes.");
    // A version not yet cached cannot be fetched now: the error names the URL.
    p.run(&["upgrade", "site", "--to", "2.0.0"])
        .code(1)
        .stderr_has(&format!("cannot fetch {}", server.url("index.json")));
    // The newest version is found in the index read last time, and fetching it fails.
    p.run(&["upgrade", "site"])
        .code(1)
        .stderr_has("Warning: using the catalog index read last time: cannot fetch")
        .stderr_has(&format!("cannot fetch {}", server.url("index.json")));
    assert!(p.read("project.hcl").contains("catalog:site@1.0.0"));
}

#[test]
fn http_upgrade_fetches_the_newest_version_and_rewrites_the_pin() {
    let server = Server::start();
    publish(&server, &tar_gz(&[("main.hcl", SITE_1)]), None);
    let p = with_index(&server, "catalog:site@1.0.0");
    p.apply();
    p.run(&["upgrade", "site"])
        .success()
        .stdout_has("site: catalog:site@1.0.0 → 2.0.0 in project.hcl:10")
        .stdout_has("file.about will be created");
    assert_eq!(p.read(".terrace/catalog/site/2.0.0/about.txt"), "about us");
    assert!(
        p.read("project.hcl")
            .contains("\"catalog:site@2.0.0\"   # keep this comment")
    );
}

#[test]
fn http_unknown_version_is_a_diagnostic_listing_the_index_versions() {
    let server = Server::start();
    publish(&server, &tar_gz(&[("main.hcl", SITE_1)]), None);
    let p = with_index(&server, "catalog:site@3.0.0");
    p.run(&["validate"])
        .code(1)
        .stderr_has("catalog:site@3.0.0 is not in the catalog")
        .stderr_has("available versions of site: 1.0.0, 2.0.0");
    assert!(!p.exists(".terrace/catalog/site"));
}

#[test]
fn http_archive_with_a_wrong_sha256_is_refused_and_nothing_is_cached() {
    let server = Server::start();
    let wrong = sha256(b"something else");
    publish(&server, &tar_gz(&[("main.hcl", SITE_1)]), Some(&wrong));
    let p = with_index(&server, "catalog:site@1.0.0");
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has(&format!(
            "the archive {} of catalog:site@1.0.0 is refused",
            server.url("site-1.0.0.tar.gz")
        ))
        .stderr_has(&format!("but the index says {wrong}; nothing was cached"));
    assert_eq!(cached_entries(&p), ["index.json"]);
}

#[test]
fn http_archive_with_unsafe_entries_is_refused() {
    for (entry, why) in [
        ("../escaped.hcl", "leaves the archive with .."),
        ("/tmp/terrace-absolute.hcl", "is an absolute path"),
    ] {
        let server = Server::start();
        publish(
            &server,
            &tar_gz(&[("main.hcl", SITE_1), (entry, "x")]),
            None,
        );
        let p = with_index(&server, "catalog:site@1.0.0");
        p.run(&["plan", "--env", "dev"])
            .code(1)
            .stderr_has(&format!("entry {entry} {why}"))
            .stderr_has("nothing was cached");
        assert_eq!(cached_entries(&p), ["index.json"]);
        assert!(!p.exists(".terrace/escaped.hcl"));
    }
}

/// The names in the cache directory, sorted.
fn cached_entries(p: &Project) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(p.path(".terrace/catalog"))
        .expect("cache dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
