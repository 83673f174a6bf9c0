#!/usr/bin/env python3
"""Load test of `terrace serve` on loopback (see bench/README.md, "Server load").

Makes a project in a temporary directory, starts `terrace serve` on
127.0.0.1 (local files, or PostgreSQL when TERRACE_DATABASE_URL is set),
makes tokens and grants with the real commands, keeps a plan through the
API and starts one apply job, then runs C concurrent clients for D seconds,
each on its own keep-alive connection, alternating `GET …/status` and
`GET …/plans/{id}?format=json`. Prints the count of requests, the errors
(any status but 200, or a broken connection), p50/p90/p99/max latency and
the throughput, and how the job ended. Exits 1 only when something failed
(the server, the job, or an error answer); the figures are not judged.
"""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request


def project(root, resources, sleep):
    os.makedirs(os.path.join(root, "arch"))
    with open(os.path.join(root, "project.hcl"), "w") as f:
        f.write(
            'project "load" {}\nenvironment "dev" {}\n'
            'configuration "app" {\n  architecture = "./arch"\n}\n'
        )
    with open(os.path.join(root, "arch", "main.hcl"), "w") as f:
        for i in range(resources):
            f.write(f'resource "terrace_data" "r{i}" {{\n  input = {{ n = {i} }}\n}}\n')
        # The job: long enough to run through the whole load.
        f.write(
            'resource "command" "slow" {\n'
            f'  create     = "sleep {sleep}; echo \'{{}}\'"\n'
            '  delete     = "true"\n'
            '  depends_on = [terrace_data.r0]\n}\n'
        )


def run(bin, root, *args):
    out = subprocess.run([bin, *args], cwd=root, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"terrace {' '.join(args)} failed ({out.returncode}):\n{out.stderr}")
    return out.stdout


def request(base, method, path, token, body=None):
    req = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


async def client(host, port, paths, token, until, latencies, errors):
    reader = writer = None
    i = 0
    while time.monotonic() < until:
        path = paths[i % len(paths)]
        i += 1
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            start = time.perf_counter()
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {token}\r\n\r\n".encode()
            )
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            length = None
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if length is None:
                raise ValueError("no content-length")
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(f"{path}: {status} {body[:300].decode('utf-8', 'replace')}")
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            errors.append(f"{path}: {e!r}")
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


async def load(base, paths, token, clients, seconds):
    host, port = base.removeprefix("http://").rsplit(":", 1)
    latencies, errors = [], []
    until = time.monotonic() + seconds
    start = time.monotonic()
    await asyncio.gather(
        *(client(host, int(port), paths, token, until, latencies, errors) for _ in range(clients))
    )
    return latencies, errors, time.monotonic() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="the terrace binary")
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--resources", type=int, default=100, help="terrace_data resources in the project")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()
    if os.sep in a.bin:
        a.bin = os.path.abspath(a.bin)

    work = tempfile.mkdtemp(prefix="terrace-serve-load-")
    root = os.path.join(work, "project")
    project(root, a.resources, int(a.seconds + 15))
    store = "local files"
    if os.environ.get("TERRACE_DATABASE_URL"):
        os.environ["TERRACE_BACKEND"] = "postgres"
        store = "PostgreSQL"
        run(a.bin, root, "backend", "init")
    data = os.path.join(work, "data")
    viewer = run(a.bin, root, "serve", "token", "create", "--user", "viewer", "--data-dir", data).strip()
    operator = run(a.bin, root, "serve", "token", "create", "--user", "operator", "--data-dir", data).strip()
    run(a.bin, root, "serve", "grant", "--user", "viewer", "--role", "Viewer", "--project", "load", "--data-dir", data)
    run(a.bin, root, "serve", "grant", "--user", "operator", "--role", "Operator", "--project", "load", "--data-dir", data)
    server = subprocess.Popen(
        [a.bin, "serve", "--listen", "127.0.0.1:0", "--project", ".", "--data-dir", data],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    failed = False
    try:
        first = server.stdout.readline().strip()
        if not first.startswith("Listening on "):
            sys.exit(f"terrace serve did not start: {first}\n{server.stderr.read()}")
        base = first.removeprefix("Listening on ")
        plans = "/api/projects/load/environments/dev/plans"
        made = request(base, "POST", plans, operator, {})
        plan = f"{plans}/{made['id']}"
        job = request(base, "POST", f"{plan}/apply", operator, {})
        paths = ["/api/projects/load/status", f"{plan}?format=json"]
        print(
            f"terrace serve ({store}), {a.resources + 1} resources, one apply job running;"
            f" {a.clients} clients for {a.seconds:.0f} s on loopback:",
            file=sys.stderr,
        )
        latencies, errors, elapsed = asyncio.run(load(base, paths, viewer, a.clients, a.seconds))
        record = request(base, "GET", job["job"], viewer)
        during = record["state"]
        deadline = time.monotonic() + 120
        while record["state"] == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
            record = request(base, "GET", job["job"], viewer)
        latencies.sort()
        ms = lambda s: f"{s * 1000:.1f} ms"
        print(f"| store | clients | seconds | requests | errors | p50 | p90 | p99 | max | requests/s | job during | job at end |")
        print(f"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        print(
            f"| {store} | {a.clients} | {elapsed:.1f} | {len(latencies)} | {len(errors)} | "
            f"{ms(percentile(latencies, 50))} | {ms(percentile(latencies, 90))} | "
            f"{ms(percentile(latencies, 99))} | {ms(latencies[-1]) if latencies else '-'} | "
            f"{len(latencies) / elapsed:.0f} | {during} | {record['state']} |"
        )
        for e in errors[:10]:
            print(f"error: {e}", file=sys.stderr)
        failed = bool(errors) or during != "running" or record["state"] != "succeeded"
    finally:
        server.terminate()
        server.wait(timeout=60)
        if os.environ.get("TERRACE_BACKEND") == "postgres":
            subprocess.run([a.bin, "delete-project", "--auto-approve"], cwd=root, capture_output=True)
        if a.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
