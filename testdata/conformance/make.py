#!/usr/bin/env python3
"""Records real Terraform's value for every conformance case.

For each GROUP.cases file beside this script, builds a Terraform root module
whose outputs are the cases' expressions (each wrapped as `{ v = EXPR }`, so
that a null value is kept), applies it with real Terraform and writes
GROUP.expected.json: {"NAME": {"value": V, "type": T}} or, for an expression
Terraform rejects, {"NAME": {"error": "its first error line"}}.

Usage: testdata/conformance/make.py [GROUP…]   (default: every group)
Terraform: $TERRAFORM, else ../shared/tools/terraform from the repository root.

The case format (read by tests/it/conformance.rs too):
  - lines before the first `== NAME` line are HCL put verbatim in the module
    (variables with defaults, locals) for every case of the file;
  - `== NAME` starts a case; the lines up to the next `==` are its expression;
  - lines starting with `#` outside a case's expression are comments.
Files under files/ are copied into the module's directory, so `file("x.txt")`
reads files/x.txt in both tools.
"""
import decimal
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TERRAFORM = os.environ.get("TERRAFORM") or os.path.join(REPO, "..", "shared", "tools", "terraform")


def parse(path):
    """Returns (header HCL, [(name, expression)])."""
    header, cases, current = [], [], None
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.startswith("== "):
                current = (line[3:].strip(), [])
                cases.append(current)
            elif current is None:
                header.append(line)
            elif line.startswith("#") and not current[1]:
                continue
            else:
                current[1].append(line)
    out = []
    for name, lines in cases:
        while lines and not lines[-1].strip():
            lines.pop()
        out.append((name, "\n".join(lines)))
    return "\n".join(header), out


# Terraform calls its built-in provider's functions (provider::terraform::…)
# only when the module requires that provider; terrace needs no such block.
BUILTIN_PROVIDER = """terraform {
  required_providers {
    terraform = { source = "terraform.io/builtin/terraform" }
  }
}
"""


def module(header, cases):
    parts = [header]
    if any("provider::terraform::" in expr for _, expr in cases):
        parts.insert(0, BUILTIN_PROVIDER)
    for name, expr in cases:
        parts.append(f'output "{name}" {{\n  sensitive = true\n  value = {{ v = (\n{expr}\n) }}\n}}\n')
    return "\n".join(parts)


def run(header, cases):
    """Applies the cases; returns (outputs, None) or (None, first error line)."""
    with tempfile.TemporaryDirectory(prefix="tf-conformance-") as d:
        files = os.path.join(HERE, "files")
        if os.path.isdir(files):
            shutil.copytree(files, d, dirs_exist_ok=True)
        with open(os.path.join(d, "main.tf"), "w", encoding="utf-8") as f:
            f.write(module(header, cases))
        env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
        p = subprocess.run([TERRAFORM, "apply", "-auto-approve", "-input=false", "-no-color"],
                           cwd=d, env=env, capture_output=True, text=True)
        if p.returncode != 0:
            err = [l.strip() for l in p.stderr.splitlines() if l.strip().startswith("Error:")]
            return None, (err[0] if err else p.stderr.strip()[:200])
        o = subprocess.run([TERRAFORM, "output", "-json"], cwd=d, env=env,
                           capture_output=True, text=True, check=True)
        # Numbers keep their text: Terraform's are arbitrary precision.
        return json.loads(o.stdout, parse_float=decimal.Decimal), None


def record(header, cases, into):
    """Runs the cases together; halves the set until each failing case is alone."""
    outputs, error = run(header, cases)
    if outputs is not None:
        for name, _ in cases:
            o = outputs[name]
            into[name] = {"value": o["value"]["v"], "type": o["type"][1]["v"]}
    elif len(cases) == 1:
        into[cases[0][0]] = {"error": error}
    else:
        mid = len(cases) // 2
        record(header, cases[:mid], into)
        record(header, cases[mid:], into)


def dump(v, depth):
    """JSON text like json.dumps(indent=1), numbers written as Terraform wrote them."""
    pad, inner = " " * depth, " " * (depth + 1)
    if isinstance(v, decimal.Decimal):
        return format(v, "f")  # as Terraform writes it: never an exponent
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {dump(x, depth + 1)}" for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        return "[\n" + ",\n".join(inner + dump(x, depth + 1) for x in v) + "\n" + pad + "]"
    return json.dumps(v, ensure_ascii=False)


def main():
    groups = sys.argv[1:] or sorted(f[:-6] for f in os.listdir(HERE) if f.endswith(".cases"))
    for group in groups:
        header, cases = parse(os.path.join(HERE, group + ".cases"))
        names = [n for n, _ in cases]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            sys.exit(f"{group}.cases: duplicate case names: {sorted(dup)}")
        results = {}
        record(header, cases, results)
        with open(os.path.join(HERE, group + ".expected.json"), "w", encoding="utf-8") as f:
            f.write(dump({n: results[n] for n in names}, 0) + "\n")
        errors = sum(1 for r in results.values() if "error" in r)
        print(f"{group}: {len(cases)} cases, {errors} rejected by Terraform")


if __name__ == "__main__":
    main()
