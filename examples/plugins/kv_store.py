#!/usr/bin/env python3
"""An example terrace plugin: a key-value store kept in a directory.

Provides the resource type `kv_entry` (a key and its value, stored as
STORE/KEY.json with a version that grows on every update) and the data
source `kv_entry` (reads an entry it does not manage). It speaks
terrace's plugin protocol, docs/plugin-protocol.md: newline-delimited
JSON on standard input and output, one request per line, answers matched
by id. It says it accepts concurrent requests, and answers them from a
pool of threads, so answers may come back out of order.

Standard library only; Python 3.8 or later.
"""

import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

PROTOCOL_VERSION = 1
UNKNOWN = {"$unknown": True}

SCHEMA = {
    "attributes": [
        {"name": "key", "kind": "required", "type": "string", "force_new": True,
         "description": "the entry's key"},
        {"name": "value", "kind": "required", "type": "any",
         "description": "any JSON value"},
        {"name": "store", "kind": "optional", "type": "string", "default": "kvstore",
         "force_new": True, "description": "the store's directory, relative to the project"},
        {"name": "id", "kind": "computed", "type": "string", "description": "store/key"},
        {"name": "version", "kind": "computed", "type": "number",
         "description": "1 on create, one more on every update"},
    ]
}

DATA_SCHEMA = {
    "attributes": [
        {"name": "key", "kind": "required", "type": "string"},
        {"name": "store", "kind": "optional", "type": "string", "default": "kvstore"},
        {"name": "id", "kind": "computed", "type": "string"},
        {"name": "value", "kind": "computed", "type": "any"},
        {"name": "version", "kind": "computed", "type": "number"},
    ]
}

out_lock = threading.Lock()
store_lock = threading.Lock()


class PluginError(Exception):
    def __init__(self, message, attribute=None):
        super().__init__(message)
        self.attribute = attribute


def log(msg):
    # Standard error goes to terrace's log (TERRACE_LOG=info).
    print(f"kv_store: {msg}", file=sys.stderr, flush=True)


def path_of(obj):
    key = obj.get("key")
    if not isinstance(key, str) or not key or "/" in key or key.startswith("."):
        raise PluginError(f"key {key!r} is not a valid key", "key")
    store = obj.get("store") or "kvstore"
    return os.path.join(store, key + ".json")


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def save(path, entry):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(entry, f)
    os.replace(tmp, path)


def plan(req):
    config, prior = req["config"], req.get("prior")
    planned = dict(config)
    replace = []
    if prior is None:
        planned["id"] = UNKNOWN
        planned["version"] = UNKNOWN
    else:
        for attr in ("key", "store"):
            if config.get(attr) != prior.get(attr):
                replace.append(attr)
        if replace:
            planned["id"] = UNKNOWN
            planned["version"] = UNKNOWN
        else:
            planned["id"] = prior.get("id")
            same = config.get("value") == prior.get("value")
            planned["version"] = prior.get("version") if same else UNKNOWN
    return {"planned": planned, "requires_replace": replace}


def create(req):
    state = dict(req["planned"])
    path = path_of(state)
    with store_lock:
        if load(path) is not None:
            raise PluginError(f"{path} already exists", "key")
        save(path, {"value": state.get("value"), "version": 1})
    state["id"] = path
    state["version"] = 1
    log(f"created {path}")
    return {"state": state}


def read(req):
    state = dict(req["state"])
    entry = load(path_of(state))
    if entry is None:
        return {"state": None}
    state["value"] = entry.get("value")
    state["version"] = entry.get("version")
    return {"state": state}


def update(req):
    prior, state = req["prior"], dict(req["planned"])
    path = path_of(state)
    with store_lock:
        entry = load(path) or {"version": prior.get("version") or 0}
        version = (entry.get("version") or 0) + 1
        save(path, {"value": state.get("value"), "version": version})
    state["id"] = path
    state["version"] = version
    return {"state": state}


def delete(req):
    path = path_of(req["state"])
    with store_lock:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
    return {}


def read_data(req):
    config = dict(req["config"])
    path = path_of(config)
    entry = load(path)
    if entry is None:
        raise PluginError(f"there is no entry {path}", "key")
    config.update(id=path, value=entry.get("value"), version=entry.get("version"))
    return {"state": config}


def handshake(req):
    return {
        "protocol_version": PROTOCOL_VERSION,
        "concurrent": True,
        "resource_types": {"kv_entry": SCHEMA},
        "data_types": {"kv_entry": DATA_SCHEMA},
    }


METHODS = {"handshake": handshake, "plan": plan, "create": create, "read": read,
           "update": update, "delete": delete, "read_data": read_data}


def answer(req):
    reply = {"id": req.get("id")}
    try:
        method = METHODS.get(req.get("method"))
        if method is None:
            raise PluginError(f"unknown method {req.get('method')!r}")
        reply["result"] = method(req)
    except PluginError as e:
        reply["error"] = {"message": str(e), "attribute": e.attribute}
    except Exception as e:  # a bug here must not take the plugin down
        reply["error"] = {"message": f"{type(e).__name__}: {e}"}
    line = json.dumps(reply)
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main():
    with ThreadPoolExecutor(max_workers=8) as pool:
        for line in sys.stdin:  # ends when terrace closes standard input
            if line.strip():
                pool.submit(answer, json.loads(line))


if __name__ == "__main__":
    main()
