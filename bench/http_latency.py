#!/usr/bin/env python3
"""How close `terrace apply` (or refresh) gets to ideal concurrency on slow APIs.

Starts a local REST server (ThreadingHTTPServer on 127.0.0.1) that answers
every request after a fixed latency, generates a project of N independent
`http` resources, and times `terrace apply` from an empty state at each
parallelism, against the ideal N x latency / parallelism. With `--refresh`,
applies once and times `terrace drift` (every object read back, nothing
planned) instead. See bench/README.md. Standard library only.

    bench/http_latency.py --bin target/release/terrace \
        [--count 200] [--latency-ms 50] [--parallelism 10,50] [--repeat 3] [--refresh]
"""

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.things = {}
        self.ids = itertools.count(1)
        self.requests = 0


def handler(store, latency):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: terrace pools connections
        # Headers and body go out in two writes: with Nagle's algorithm and
        # delayed ACKs, a kept-alive connection would stall 40 ms on each.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def reply(self, status, obj=None):
            body = b"" if obj is None else json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(n) or b"null")

        def handle_one(self, method):
            data = self.body() if method in ("POST", "PUT") else None
            time.sleep(latency)
            parts = self.path.strip("/").split("/")
            with store.lock:
                store.requests += 1
                if method == "POST" and parts == ["things"]:
                    tid = f"t{next(store.ids)}"
                    obj = dict(data or {}, id=tid)
                    store.things[tid] = obj
                    return self.reply(201, obj)
                if len(parts) == 2 and parts[0] == "things":
                    obj = store.things.get(parts[1])
                    if obj is None:
                        return self.reply(404, {"error": "not found"})
                    if method == "GET":
                        return self.reply(200, obj)
                    if method == "PUT":
                        store.things[parts[1]] = dict(data or {}, id=parts[1])
                        return self.reply(200, store.things[parts[1]])
                    if method == "DELETE":
                        del store.things[parts[1]]
                        return self.reply(204)
            return self.reply(400, {"error": "bad route"})

        def do_POST(self):
            self.handle_one("POST")

        def do_GET(self):
            self.handle_one("GET")

        def do_PUT(self):
            self.handle_one("PUT")

        def do_DELETE(self):
            self.handle_one("DELETE")

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default backlog of 5 drops bursts of connects


def project(root, base, count):
    os.makedirs(os.path.join(root, "arch"))
    with open(os.path.join(root, "project.hcl"), "w") as f:
        f.write('project "bench" {}\nenvironment "bench" {}\n'
                'configuration "main" {\n  architecture = "./arch"\n}\n')
    with open(os.path.join(root, "arch", "main.hcl"), "w") as f:
        for i in range(count):
            f.write(f'resource "http" "r{i}" {{\n  url  = "{base}/things"\n'
                    f'  body = {{ n = {i} }}\n}}\n\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--parallelism", default="10,50")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--refresh", action="store_true",
                    help="time `terrace drift` (refresh alone) after one apply")
    args = ap.parse_args()
    latency = args.latency_ms / 1000.0

    store = Store()
    server = Server(("127.0.0.1", 0), handler(store, latency))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    root = tempfile.mkdtemp(prefix="terrace-http-bench-")
    try:
        project(root, base, args.count)
        env = dict(os.environ, NO_COLOR="1")
        env.pop("TERRACE_LOG", None)
        rows = []
        if args.refresh:
            shutil.rmtree(os.path.join(root, ".terrace"), ignore_errors=True)
            with store.lock:
                store.things.clear()
            run = subprocess.run(
                [args.bin, "apply", "--env", "bench", "--auto-approve", "--parallelism", "50"],
                cwd=root, env=env, capture_output=True, text=True, timeout=600)
            if run.returncode != 0 or len(store.things) != args.count:
                print(run.stdout[-2000:], run.stderr[-2000:], file=sys.stderr)
                print("the apply before the refreshes failed", file=sys.stderr)
                return 1
        for p in [int(x) for x in args.parallelism.split(",")]:
            times = []
            for _ in range(args.repeat):
                if args.refresh:
                    command = ["drift", "--env", "bench", "--parallelism", str(p)]
                else:
                    command = ["apply", "--env", "bench", "--auto-approve",
                               "--parallelism", str(p)]
                    shutil.rmtree(os.path.join(root, ".terrace"), ignore_errors=True)
                    with store.lock:
                        store.things.clear()
                with store.lock:
                    store.requests = 0
                start = time.monotonic()
                run = subprocess.run(
                    [args.bin] + command,
                    cwd=root, env=env, capture_output=True, text=True, timeout=600)
                took = time.monotonic() - start
                expected = args.count if args.refresh else None
                if run.returncode != 0 or len(store.things) != args.count or (
                        expected is not None and store.requests != expected):
                    print(run.stdout[-2000:], run.stderr[-2000:], file=sys.stderr)
                    print(f"{command[0]} failed at parallelism {p}", file=sys.stderr)
                    return 1
                times.append(took)
                print(f"parallelism {p}: {took:.2f}s ({store.requests} requests)",
                      file=sys.stderr)
            ideal = args.count * latency / p
            best = min(times)
            rows.append((p, ideal, best, sorted(times)[len(times) // 2]))
        what = ("refresh (`terrace drift`) of as many objects" if args.refresh
                else "apply from an empty state")
        print(f"{args.count} independent http resources, {args.latency_ms:g} ms per "
              f"request, {what} (best and median of {args.repeat})\n")
        print("| parallelism | ideal (count x latency / parallelism) | best | median | best / ideal |")
        print("| --- | --- | --- | --- | --- |")
        for p, ideal, best, median in rows:
            ratio = f"{best / ideal:.2f}x" if ideal > 0 else "-"
            print(f"| {p} | {ideal:.2f} s | {best:.2f} s | {median:.2f} s | {ratio} |")
        return 0
    finally:
        server.shutdown()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
