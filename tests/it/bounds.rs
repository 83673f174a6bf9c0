//! Bounds and panics: long lines, odd lock and state files, huge values,
//! temporary files after a kill, output errors, writes through symlinks.

use crate::harness::{Project, Run, single};
use std::process::Stdio;

#[test]
fn a_diagnostic_far_along_a_minified_line_is_rendered_without_a_panic() {
    let line = format!(
        "locals {{ x = [{}, nope.x] }}\n",
        vec!["1"; 40_000].join(",")
    );
    let p = single(&line);
    p.run(&["validate"])
        .code(1)
        .stderr_has("there is no resource nope.x")
        .stderr_has("arch/main.hcl:1:80016")
        .stderr_has("this reference");
}

#[cfg(unix)]
#[test]
fn a_lock_file_that_is_a_dangling_symlink_is_refused_and_leaves_no_temporary_files() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\n");
    let dir = p.path(".terrace/envs/dev");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::os::unix::fs::symlink("/nonexistent/lock", dir.join("lock")).expect("symlink");
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("is a symbolic link to /nonexistent/lock")
        .stderr_has("terrace state unlock");
    let left: Vec<String> = std::fs::read_dir(&dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".lock-"))
        .collect();
    assert!(left.is_empty(), "temporary lock files left: {left:?}");
    p.run(&["state", "unlock", "--env", "dev"]).success();
    p.apply();
}

#[cfg(unix)]
#[test]
fn a_state_file_symlinked_to_dev_zero_is_refused_naming_the_path() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\n");
    p.apply();
    let state = p.path(".terrace/envs/dev/main.state.json");
    std::fs::remove_file(&state).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", &state).expect("symlink");
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("main.state.json")
        .stderr_has("not a regular file");
}

#[test]
fn a_state_file_over_the_record_limit_is_refused_naming_the_limit_and_its_override() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\n");
    p.apply();
    let state = p.path(".terrace/envs/dev/main.state.json");
    let mut text = std::fs::read_to_string(&state).expect("read");
    text.push_str(&" ".repeat(2 << 20));
    std::fs::write(&state, text).expect("write");
    p.run_with(&["plan", "--env", "dev"], &[("TERRACE_MAX_RECORD_MB", "1")])
        .code(1)
        .stderr_has("main.state.json")
        .stderr_has("larger than the limit of 1 MiB")
        .stderr_has("TERRACE_MAX_RECORD_MB");
}

#[test]
fn doubling_a_local_26_times_is_a_diagnostic_on_the_expression_that_goes_over() {
    let mut hcl = String::from("locals {\n  a0 = [1]\n");
    for i in 1..=26 {
        hcl.push_str(&format!(
            "  a{i} = concat(local.a{}, local.a{})\n",
            i - 1,
            i - 1
        ));
    }
    hcl.push_str("}\noutput \"n\" {\n  value = length(local.a26)\n}\n");
    let p = single(&hcl);
    // a22 is the first list of more than 128 MiB (4 million values).
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("builds a value larger than the limit of 128 MiB")
        .stderr_has("arch/main.hcl:24:9");
}

#[test]
fn temporary_files_a_killed_run_left_beside_a_managed_file_are_removed_on_the_next_run() {
    let p = single("resource \"file\" \"f\" {\n  path    = \"out/a.txt\"\n  content = \"x\"\n}\n");
    p.apply();
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let plant = |name: &str, old: bool| {
        let f = std::fs::File::create(p.path(&format!("out/{name}"))).expect("create");
        if old {
            f.set_modified(hour_ago).expect("mtime");
        }
    };
    plant(".terrace-Ab12Cd", true);
    plant(".terrace-notours.txt", true);
    plant(".terrace-Zz99Yy", false);
    p.run(&["plan", "--env", "dev"]).success();
    assert!(
        !p.exists("out/.terrace-Ab12Cd"),
        "the left-over temporary file is removed"
    );
    assert!(p.exists("out/.terrace-notours.txt"), "another name is kept");
    assert!(
        p.exists("out/.terrace-Zz99Yy"),
        "a file being written now is kept"
    );
    assert_eq!(p.read("out/a.txt"), "x");
}

#[cfg(target_os = "linux")]
#[test]
fn show_into_a_full_device_exits_1_but_into_a_closed_pipe_exits_0() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\n");
    p.run(&["plan", "--env", "dev", "--out", "p.plan"])
        .success();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = p
        .cmd(&["show", "p.plan"])
        .stdout(Stdio::from(full))
        .output()
        .expect("terrace runs");
    Run::from(&["show", "p.plan"], out)
        .code(1)
        .stderr_has("cannot write the output");
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = p
        .cmd(&["show", "p.plan"])
        .stdout(Stdio::from(writer))
        .output()
        .expect("terrace runs");
    Run::from(&["show", "p.plan"], out).success();
    // Help is output too.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = p
        .cmd(&["--help"])
        .stdout(Stdio::from(full))
        .output()
        .expect("terrace runs");
    Run::from(&["--help"], out)
        .code(1)
        .stderr_has("cannot write the output");
}

#[cfg(unix)]
#[test]
fn fmt_rewrites_a_symlinked_definition_file_through_the_link_keeping_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\n");
    p.write(
        "shared/extra.hcl",
        "resource \"terrace_data\" \"b\" {\ninput=\"y\"\n}\n",
    );
    let real = p.path("shared/extra.hcl");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let link = p.path("arch/extra.hcl");
    std::os::unix::fs::symlink("../shared/extra.hcl", &link).expect("symlink");
    p.run(&["fmt", "arch/extra.hcl"]).success();
    let meta = std::fs::symlink_metadata(&link).expect("link");
    assert!(meta.file_type().is_symlink(), "the link is kept");
    assert_eq!(
        p.read("shared/extra.hcl"),
        "resource \"terrace_data\" \"b\" {\n  input = \"y\"\n}\n"
    );
    let mode = std::fs::metadata(&real).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o640, "the mode is kept");
}

#[test]
fn a_lock_holder_file_of_gigabytes_is_reported_unreadable_without_being_read() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\n");
    let dir = p.path(".terrace/envs/dev");
    std::fs::create_dir_all(&dir).expect("mkdir");
    // Sparse: 16 GiB that read whole would not fit in this machine's memory.
    let lock = std::fs::File::create(dir.join("lock")).expect("create");
    lock.set_len(16 << 30).expect("set_len");
    drop(lock);
    p.run(&["state", "unlock", "--env", "dev"])
        .success()
        .stdout_has("holder cannot be read");
    p.apply();
}

#[test]
fn an_architecture_file_symlinked_to_dev_zero_is_refused_naming_the_path() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\n");
    std::os::unix::fs::symlink("/dev/zero", p.path("arch/data.bin")).expect("symlink");
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("data.bin")
        .stderr_has("not a regular file");
}

#[test]
fn an_architecture_file_over_the_definition_limit_is_refused_naming_the_limit() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\n");
    let big = std::fs::File::create(p.path("arch/big.bin")).expect("create");
    big.set_len(300 << 20).expect("set_len");
    drop(big);
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("big.bin")
        .stderr_has("larger than the limit of 256 MiB");
}

#[test]
fn a_plugin_program_over_the_limit_is_refused_naming_the_limit() {
    let p = Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nplugin \"huge\" {\n  command = [\"plugins/huge.bin\"]\n}\nenvironment \"dev\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file("arch/main.hcl", "resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\n");
    std::fs::create_dir_all(p.path("plugins")).expect("mkdir");
    let big = std::fs::File::create(p.path("plugins/huge.bin")).expect("create");
    big.set_len(2 << 30).expect("set_len");
    drop(big);
    p.run(&["validate"])
        .code(1)
        .stderr_has("huge.bin")
        .stderr_has("larger than the limit of 1 GiB");
}
