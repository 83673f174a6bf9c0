#!/usr/bin/env python3
"""Runs real Terraform on every expression in expressions.txt and writes
expected.txt: one line per expression, the output's value as JSON text
with numbers exactly as Terraform printed them.

Usage: python3 testdata/numbers/make.py   (TERRAFORM overrides the binary;
default ../shared/tools/terraform from the repository root)
"""
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
terraform = os.environ.get(
    "TERRAFORM", os.path.join(root, "..", "shared", "tools", "terraform"))


class Raw(str):
    """A number's text, kept as Terraform wrote it."""


def text(v):
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, list):
        return "[" + ",".join(text(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k) + ":" + text(x) for k, x in v.items()) + "}"
    return json.dumps(v, ensure_ascii=False)


def main():
    with open(os.path.join(here, "expressions.txt")) as f:
        exprs = [line.rstrip("\n") for line in f if line.strip()]
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "main.tf"), "w") as f:
            for i, e in enumerate(exprs):
                f.write(f'output "e{i:03}" {{\n  value = {e}\n}}\n')
        run = lambda *args: subprocess.run(
            [terraform, *args], cwd=work, check=True, stdout=subprocess.PIPE, text=True)
        run("apply", "-auto-approve", "-input=false", "-no-color")
        out = run("output", "-json").stdout
    values = json.loads(out, parse_float=Raw, parse_int=Raw)
    with open(os.path.join(here, "expected.txt"), "w") as f:
        for i, e in enumerate(exprs):
            f.write(text(values[f"e{i:03}"]["value"]) + "\n")
    print(f"{len(exprs)} expressions", file=sys.stderr)


if __name__ == "__main__":
    main()
