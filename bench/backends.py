#!/usr/bin/env python3
"""terrace on its two backends: local files against PostgreSQL, in one run.

Driven by bench/backends.sh (which builds terrace and creates the schema);
see bench/README.md. Standard library only.

One project of N literal `terrace_data` blocks (bench.py's generator, the
chain shape) is copied twice: one copy on the local backend, one on
PostgreSQL (TERRACE_BACKEND=postgres, TERRACE_DATABASE_URL from the
environment). Every step runs the two copies alternately, one command at a
time, so that whatever load the machine has falls on both alike:

  first apply      apply from nothing (a new project name each run: no records)
  no-op plan       plan --detailed-exitcode right after, must exit 0
  change apply     apply that changes one resource (the last of the chain)
  history          more one-resource applies until the state has H versions
  no-op plan (H)   the no-op plan again, after the history

Each command is a fresh child process: wall time around it, CPU time
(user + system) and peak RSS from its rusage (wait4(2)). The server's own
CPU is not in the CPU column; it is in the wall time.
"""
import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Failure, fmt_mb, fmt_time, progress, tail_of, write_terrace_project  # noqa: E402

STORES = ["local", "postgres"]
# step -> (title, target ratio postgres/local or None)
STEPS = {
    "first_apply": ("first apply (create N)", 3.0),
    "plan": ("no-op plan", 2.0),
    "change_apply": ("apply, 1 resource changed", 3.0),
    "history_apply": ("apply, 1 resource changed, during the history", 3.0),
    "plan_history": ("no-op plan after the history", 2.0),
}


class Run:
    """One command's figures."""

    def __init__(self, wall, cpu, rss):
        self.wall, self.cpu, self.rss = wall, cpu, rss


def run_once(argv, cwd, env, log_path, timeout, expect=(0,)):
    """Run ARGV once; return a Run (wall s, CPU s, peak RSS KiB)."""
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = start + timeout
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, 9)
                os.wait4(proc.pid, 0)
                raise Failure(f"timed out after {timeout:.0f} s: {' '.join(argv)} (log: {log_path})")
            time.sleep(0.001)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in expect:
        what = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        raise Failure(f"{what} (expected {'/'.join(map(str, expect))}): {' '.join(argv)}\n"
                      f"  cwd: {cwd}\n  log: {log_path}\n{tail_of(log_path)}")
    return Run(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss)


class Copy:
    """The project on one backend."""

    def __init__(self, args, store, root):
        self.args, self.store, self.root = args, store, root
        self.log = os.path.join(root, "last-command.log")
        env = dict(os.environ, NO_COLOR="1", TERRACE_BACKEND=store)
        env.pop("TERRACE_LOG", None)
        if store == "local":
            env.pop("TERRACE_DATABASE_URL", None)
        self.env = env
        self.main_hcl = os.path.join(root, "arch", "main.hcl")
        with open(self.main_hcl) as f:
            self.text = f.read()
        self.project = None

    def name(self, project):
        """Renames the project: records of another name are not its records."""
        self.project = project
        path = os.path.join(self.root, "project.hcl")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(re.sub(r'^project "[^"]*"', f'project "{project}"', text, count=1, flags=re.M))

    def set_last(self, value):
        """The last resource of the chain gets input n = VALUE (nothing depends on it)."""
        n = self.args.size - 1
        old = f"n = {n} }}\n}}\n\n"
        head = self.text.rsplit(old, 1)[0] if old in self.text else None
        if head is None:
            raise Failure(f"cannot find resource r{n} in {self.main_hcl}")
        with open(self.main_hcl, "w") as f:
            f.write(head + f"n = {value} }}\n}}\n\n")

    def run(self, cmd, expect=(0,)):
        return run_once([self.args.bin] + cmd + ["--project", self.root], self.root, self.env,
                        self.log, self.args.timeout, expect)

    def clear_local(self):
        shutil.rmtree(os.path.join(self.root, ".terrace"), ignore_errors=True)


def median(xs):
    return statistics.median(xs) if xs else None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True, help="the terrace binary")
    p.add_argument("--size", type=int, default=10000, help="resources (default 10000)")
    p.add_argument("--repeat", type=int, default=5,
                   help="runs per step and store, median kept (default 5)")
    p.add_argument("--history", type=int, default=100,
                   help="versions of the state before the last no-op plan (default 100)")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="kill a command after this many seconds (default 600)")
    p.add_argument("--workdir", help="where to generate the projects (default: a new temp dir)")
    p.add_argument("--keep", action="store_true",
                   help="keep the projects, and their records in the database")
    args = p.parse_args()
    if args.repeat < 1 or args.size < 2:
        p.error("--repeat must be at least 1 and --size at least 2")
    if args.history < 1 + 2 * args.repeat:
        p.error(f"--history must be at least 1 + 2 × --repeat ({1 + 2 * args.repeat})")
    if not os.environ.get("TERRACE_DATABASE_URL"):
        p.error("TERRACE_DATABASE_URL must name the PostgreSQL database to use")
    args.bin = os.path.abspath(args.bin)

    work = args.workdir or tempfile.mkdtemp(prefix="terrace-backends-")
    os.makedirs(work, exist_ok=True)
    progress(f"work dir: {work}")
    started, load0 = time.time(), os.getloadavg()
    base = f"bench-backends-{int(started)}-{os.getpid()}"

    copies = {}
    for store in STORES:
        root = os.path.join(work, store)
        shutil.rmtree(root, ignore_errors=True)
        write_terrace_project(root, "chain", args.size)
        copies[store] = Copy(args, store, root)
    progress(f"generated two projects of {args.size} resources "
             f"({os.path.getsize(copies['local'].main_hcl) / 1e6:.1f} MB of HCL each)")

    try:
        copies["postgres"].run(["backend", "init"])
    except Failure as e:
        progress(f"ERROR {e}")
        return 1

    runs = {(s, step): [] for s in STORES for step in STEPS}
    names = []

    def step(key, k, cmd, before=None, expect=(0,), says=None):
        for store in STORES:
            c = copies[store]
            if before:
                before(c)
            r = c.run(cmd, expect)
            if says:
                with open(c.log, errors="replace") as f:
                    if says not in f.read():
                        raise Failure(f"{' '.join(cmd)} did not say {says!r} (log: {c.log})")
            runs[(store, key)].append(r)
            progress(f"  {STEPS[key][0]} {k + 1} {store:8}: {fmt_time(r.wall):>8} wall, "
                     f"{fmt_time(r.cpu):>8} CPU, {fmt_mb(r.rss)}")

    apply = ["apply", "--env", "bench", "--auto-approve"]
    one_change = "Resources: 0 added, 1 changed, 0 destroyed"
    plan = ["plan", "--env", "bench", "--detailed-exitcode"]
    error = None
    versions = {}
    try:
        progress("== first apply, from no records")
        for k in range(args.repeat):
            name = f"{base}-{k}"
            names.append(name)

            def fresh(c, name=name):
                c.name(name)
                c.clear_local()
            step("first_apply", k, apply, before=fresh,
                 says=f"Resources: {args.size} added, 0 changed, 0 destroyed")
        progress("== no-op plan")
        for k in range(args.repeat):
            step("plan", k, plan)          # exit 2 would mean changes: a failure
        progress("== apply, one resource changed")
        version = 1
        for k in range(args.repeat):
            version += 1
            step("change_apply", k, apply, before=lambda c, v=version: c.set_last(-v),
                 says=one_change)
        progress(f"== history: one-resource applies up to {args.history} versions")
        k = 0
        while version < args.history:
            version += 1
            step("history_apply", k, apply, before=lambda c, v=version: c.set_last(-v),
                 says=one_change)
            k += 1
        progress("== no-op plan after the history")
        for k in range(args.repeat):
            step("plan_history", k, plan)
        for store in STORES:
            out = subprocess.run([args.bin, "state", "backups", "--env", "bench",
                                  "--project", copies[store].root],
                                 env=copies[store].env, capture_output=True, text=True)
            versions[store] = sum(1 for line in out.stdout.splitlines()
                                  if re.match(r"\s*\d+\s+main\s", line)) + 1
    except Failure as e:
        error = str(e)
        progress(f"ERROR {e}")
    load1 = os.getloadavg()
    elapsed = time.time() - started

    version_text = subprocess.run([args.bin, "--version"], capture_output=True,
                                  text=True).stdout.strip()
    print("# terrace: local files against PostgreSQL")
    print()
    size = f"{args.size:,}".replace(",", " ")
    print(f"- {version_text or args.bin}; {size} resources (chain), "
          f"a history of {args.history} versions")
    print(f"- {platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{load0[0]:.2f} at start, {load1[0]:.2f} at end; total {elapsed / 60:.1f} min")
    print(f"- median of {args.repeat} runs per step and store (the history: of every apply "
          "in it), the two stores alternated; CPU: user + system of terrace's process "
          "(not the server's); RSS: its peak")
    if versions:
        print(f"- versions kept at the end: " + ", ".join(
            f"{s} {versions[s]}" for s in STORES)
              + " (local keeps 20 by default: TERRACE_BACKUPS)")
    print()
    print("| step | store | runs | median wall | median CPU | peak RSS | postgres / local (wall) | target |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    verdicts = []
    for key, (title, target) in STEPS.items():
        rs = {s: runs[(s, key)] for s in STORES}
        walls = {s: median([r.wall for r in rs[s]]) for s in STORES}
        for s in STORES:
            cpu = median([r.cpu for r in rs[s]])
            rss = max([r.rss for r in rs[s]], default=None)
            ratio, goal = "", ""
            if s == "postgres" and walls["local"] and walls["postgres"]:
                q = walls["postgres"] / walls["local"]
                ratio = f"{q:.2f}×"
                ok = q <= target
                goal = f"≤ {target:g}× {'PASS' if ok else 'FAIL'}"
                verdicts.append((ok, f"{title}: postgres / local {q:.2f}× ≤ {target:g}×"))
            print(f"| {title} | {s} | {len(rs[s])} | {fmt_time(walls[s])} | {fmt_time(cpu)} | "
                  f"{fmt_mb(rss)} | {ratio} | {goal} |")
    before = median([r.wall for r in runs[("postgres", "plan")]])
    after = median([r.wall for r in runs[("postgres", "plan_history")]])
    if before and after:
        q = after / before
        ok = q <= 1.25
        verdicts.append((ok, f"postgres no-op plan after {args.history} versions / after 1: "
                             f"{fmt_time(after)} / {fmt_time(before)} = {q:.2f}× ≤ 1.25× "
                             "(no slower, within noise)"))
    print()
    print("## Targets")
    print()
    for ok, text in verdicts:
        print(f"- **{'PASS' if ok else 'FAIL'}** {text}")
    print()
    print("## Commands (each with `--project DIR`, TERRACE_BACKEND=local or postgres)")
    print()
    print("```sh")
    print(f"terrace {' '.join(apply)}            # first apply: new project name, no records")
    print(f"terrace {' '.join(plan)}      # no-op plan: must exit 0")
    print(f"terrace {' '.join(apply)}            # after changing r{args.size - 1}'s input")
    print("```")
    if error:
        print()
        print("## Error")
        print()
        print("```")
        print(error)
        print("```")

    if not args.keep:
        if not error:
            # Every record of every run's project, gone from the database.
            pg = copies["postgres"]
            for name in names:
                pg.name(name)
                try:
                    pg.run(["delete-project", "--destroy", "--auto-approve"])
                except Failure as e:
                    progress(f"could not remove project {name}'s records: {e}")
        if not error and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    if args.keep or error:
        print()
        print(f"Projects kept in {work}; their records stay in the database "
              f"(projects {base}-*)")
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
