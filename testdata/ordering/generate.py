#!/usr/bin/env python3
"""Generates the apply-ordering cases and records what real Terraform does.

Each case is a small random graph of `terraform_data` resources (chains,
fan-out, count and for_each, `triggers_replace`, `create_before_destroy`,
`depends_on`) in two steps: step 2 mutates step 1 (replacements through
`triggers_replace`, in-place updates, count/for_each growing and shrinking,
resources removed and added, references added and dropped,
`create_before_destroy` switched). Terraform applies step 1, then plans and
applies step 2; the fixture keeps, per case, both definitions (Terraform's
`main.tf` and terrace's `main.hcl`), Terraform's counts for each step, and
the order Terraform's apply graph imposes on step 2's operations (pairs
"a before b", transitively closed).

Usage (from the repository root):
    python3 testdata/ordering/generate.py [--cases N] [--seed S] [--jobs J]
Environment: TERRAFORM (default ../shared/tools/terraform).
Writes testdata/ordering/cases.jsonl.
"""

import argparse
import concurrent.futures
import copy
import json
import os
import random
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TERRAFORM = os.environ.get(
    "TERRAFORM", os.path.join(ROOT, "..", "shared", "tools", "terraform")
)


# ---------------------------------------------------------------- graphs


def new_resource(rng, name, earlier):
    kind = rng.choice(["single", "single", "count", "for_each"])
    r = {"name": name, "kind": kind, "lit": "v0", "trig": None, "cbd": False,
         "deps": [], "trig_dep": None, "depends_on": None}
    if kind == "count":
        r["count"] = rng.randint(0, 3)
    elif kind == "for_each":
        r["keys"] = sorted(rng.sample(["a", "b", "c", "d"], rng.randint(0, 3)))
    if earlier:
        r["deps"] = sorted(rng.sample(earlier, min(len(earlier), rng.choice([0, 1, 1, 2]))))
        if rng.random() < 0.25:
            r["trig_dep"] = rng.choice(earlier)
        rest = [e for e in earlier if e not in r["deps"]]
        if rest and rng.random() < 0.2:
            r["depends_on"] = rng.choice(rest)
    if rng.random() < 0.5:
        r["trig"] = "t0"
    r["cbd"] = rng.random() < 0.25
    return r


def new_graph(rng):
    res = []
    for i in range(rng.randint(2, 8)):
        res.append(new_resource(rng, f"r{i}", [x["name"] for x in res]))
    return res


def ref(res_by_name, name, ty):
    r = res_by_name[name]
    if r["kind"] == "single":
        return f"{ty}.{name}.id"
    return f"[for o in {ty}.{name} : o.id]"


def render(res, ty):
    by = {r["name"]: r for r in res}
    out = []
    for r in res:
        lines = [f'resource "{ty}" "{r["name"]}" {{']
        if r["kind"] == "count":
            lines.append(f'  count = {r["count"]}')
        elif r["kind"] == "for_each":
            keys = ", ".join(f'"{k}"' for k in r["keys"])
            lines.append(f"  for_each = toset([{keys}])")
        trig = []
        if r["trig"] is not None:
            trig.append(f'"{r["trig"]}"')
        if r["trig_dep"] is not None:
            trig.append(ref(by, r["trig_dep"], ty))
        if trig:
            lines.append(f"  triggers_replace = [{', '.join(trig)}]")
        inp = [f'lit = "{r["lit"]}"']
        if r["kind"] == "count":
            inp.append("key = count.index")
        elif r["kind"] == "for_each":
            inp.append("key = each.key")
        for d in r["deps"]:
            inp.append(f"{d} = {ref(by, d, ty)}")
        lines.append(f"  input = {{ {', '.join(inp)} }}")
        if r["depends_on"] is not None:
            lines.append(f'  depends_on = [{ty}.{r["depends_on"]}]')
        if r["cbd"]:
            lines.append("  lifecycle {")
            lines.append("    create_before_destroy = true")
            lines.append("  }")
        lines.append("}")
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def bump(s):
    return s[0] + str(int(s[1:]) + 1)


def mutate(rng, res):
    res = copy.deepcopy(res)
    # A name is never used again for another resource: Terraform would move
    # `r1` to `r1[0]` when count appears, which is another subject.
    used = {x["name"] for x in res}
    for _ in range(rng.randint(2, 5)):
        m = rng.choice(["replace", "replace", "update", "resize", "resize",
                        "cbd", "remove", "add", "reref"])
        if not res:
            break
        r = rng.choice(res)
        names = [x["name"] for x in res]
        if m == "replace":
            r["trig"] = bump(r["trig"]) if r["trig"] else "t1"
        elif m == "update":
            r["lit"] = bump(r["lit"])
        elif m == "resize":
            if r["kind"] == "count":
                r["count"] = max(0, r["count"] + rng.choice([-2, -1, 1, 2]))
            elif r["kind"] == "for_each":
                keys = set(r["keys"])
                k = rng.choice(["a", "b", "c", "d"])
                keys ^= {k}
                r["keys"] = sorted(keys)
            else:
                r["lit"] = bump(r["lit"])
        elif m == "cbd":
            r["cbd"] = not r["cbd"]
        elif m == "remove" and len(res) > 1:
            gone = r["name"]
            res = [x for x in res if x["name"] != gone]
            for x in res:
                x["deps"] = [d for d in x["deps"] if d != gone]
                if x["trig_dep"] == gone:
                    x["trig_dep"] = None
                if x["depends_on"] == gone:
                    x["depends_on"] = None
        elif m == "add":
            n = 0
            while f"r{n}" in used:
                n += 1
            used.add(f"r{n}")
            res.append(new_resource(rng, f"r{n}", names))
        elif m == "reref":
            i = res.index(r)
            earlier = [x["name"] for x in res[:i]]
            if earlier:
                d = rng.choice(earlier)
                if d in r["deps"]:
                    r["deps"].remove(d)
                else:
                    r["deps"] = sorted(r["deps"] + [d])
    return res


# ------------------------------------------------------------- terraform


def tf(args, cwd):
    return subprocess.run([TERRAFORM] + args, cwd=cwd, capture_output=True, text=True)


def summary(out, operation):
    for line in out.splitlines():
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("type") == "change_summary" and m["changes"]["operation"] == operation:
            c = m["changes"]
            return {"add": c["add"], "change": c["change"], "destroy": c["remove"]}
    return None


def errors(out):
    msgs = []
    for line in out.splitlines():
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("type") == "diagnostic" and m["diagnostic"]["severity"] == "error":
            text = m["diagnostic"]["summary"] + ": " + m["diagnostic"].get("detail", "")
            # Deposed keys are random: keep the fixture stable.
            msgs.append(re.sub(r"deposed [0-9a-f]+", "deposed", text).strip(": "))
    return msgs


NODE = re.compile(r'^\[root\] (terraform_data\.[^ ]+)( \(destroy(?: deposed [0-9a-f]+)?\))?$')


def order_pairs(dot):
    """Pairs (a, b): operation a comes before operation b in the apply graph."""
    edges = {}
    nodes = set()
    for line in dot.splitlines():
        m = re.match(r'^\s*"(.*)" -> "(.*)"$', line.strip())
        if not m:
            continue
        a, b = (s.replace('\\"', '"') for s in m.groups())
        # Terraform's edge a -> b: a depends on b, so b comes first.
        edges.setdefault(b, set()).add(a)
        nodes.update((a, b))

    def op(n):
        m = NODE.match(n)
        if not m:
            return None
        return m.group(1).replace("terraform_data.", "terrace_data.") + (" (destroy)" if m.group(2) else "")

    pairs = set()
    for start in nodes:
        s = op(start)
        if s is None:
            continue
        seen, stack = set(), [start]
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        for n in seen:
            o = op(n)
            if o is not None and o != s:
                pairs.add((s, o))
    return sorted(pairs)


def run_case(spec):
    with tempfile.TemporaryDirectory(prefix="tf-ordering-") as d:
        result = {"step1": None, "step2": None, "order": [], "error": None}
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write(spec["step1"]["terraform"])
        p = tf(["apply", "-auto-approve", "-input=false", "-json"], d)
        if p.returncode != 0:
            raise RuntimeError(f"{spec['name']} step 1: {errors(p.stdout) or p.stderr}")
        result["step1"] = summary(p.stdout, "apply")
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write(spec["step2"]["terraform"])
        p = tf(["plan", "-input=false", "-json", "-out=step2.tfplan"], d)
        if p.returncode != 0:
            result["error"] = "; ".join(errors(p.stdout)) or p.stderr
            return result
        planned = summary(p.stdout, "plan")
        g = tf(["graph", "-type=apply", "-plan=step2.tfplan"], d)
        if g.returncode == 0:
            result["order"] = order_pairs(g.stdout)
        p = tf(["apply", "-input=false", "-json", "step2.tfplan"], d)
        if p.returncode != 0:
            result["error"] = "; ".join(errors(p.stdout)) or p.stderr
            return result
        applied = summary(p.stdout, "apply")
        if applied != planned:
            raise RuntimeError(f"{spec['name']}: plan {planned} but apply {applied}")
        result["step2"] = applied
        return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=260)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(HERE, "cases.jsonl"))
    args = ap.parse_args()

    specs = []
    for i in range(args.cases):
        rng = random.Random(args.seed * 100003 + i)
        one = new_graph(rng)
        two = mutate(rng, one)
        specs.append({
            "name": f"case-{i:03}",
            "step1": {"terraform": render(one, "terraform_data"), "terrace": render(one, "terrace_data")},
            "step2": {"terraform": render(two, "terraform_data"), "terrace": render(two, "terrace_data")},
        })
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run_case, specs))
    with open(args.out + ".tmp", "w") as f:
        for spec, res in zip(specs, results):
            spec["terraform"] = res
            f.write(json.dumps(spec, sort_keys=True) + "\n")
    os.replace(args.out + ".tmp", args.out)
    failed = sum(1 for r in results if r["error"])
    print(f"{len(specs)} cases written to {args.out}; Terraform refused {failed}", file=sys.stderr)


if __name__ == "__main__":
    main()
