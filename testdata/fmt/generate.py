#!/usr/bin/env python3
"""Writes testdata/fmt/expected/NAME.hcl: what `terraform fmt` makes of
testdata/fmt/cases/NAME.hcl; testdata/fmt/refused.txt: the error (line and
summary) with which `terraform fmt` refuses each testdata/fmt/refused/NAME.hcl;
and testdata/fmt/regressions.txt (below). Run from the repository root:

    python3 testdata/fmt/generate.py

TERRAFORM overrides the Terraform binary (default ../shared/tools/terraform).
The tests compare `terrace fmt` with these files; they never run Terraform.
"""
import os
import pathlib
import shutil
import subprocess
import tempfile

root = pathlib.Path(__file__).resolve().parent
terraform = os.environ.get("TERRAFORM", str(root.parents[2] / "shared" / "tools" / "terraform"))
cases = sorted((root / "cases").glob("*.hcl"))
expected = root / "expected"
expected.mkdir(exist_ok=True)
for case in cases:
    with tempfile.TemporaryDirectory() as tmp:
        tf = pathlib.Path(tmp) / (case.stem + ".tf")
        shutil.copyfile(case, tf)
        subprocess.run([terraform, "fmt", str(tf)], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        shutil.copyfile(tf, expected / case.name)
    print(f"{case.name}: done")


def refusal(path):
    """`terraform fmt`'s first error on the file: (line, summary), or None
    when it formats it."""
    with tempfile.TemporaryDirectory() as tmp:
        tf = pathlib.Path(tmp) / "main.tf"
        shutil.copyfile(path, tf)
        run = subprocess.run([terraform, "fmt", "-no-color", str(tf)], cwd=tmp,
                             capture_output=True, text=True, errors="replace")
    if run.returncode == 0:
        return None
    lines = run.stderr.splitlines()
    for n, l in enumerate(lines):
        if l.startswith("Error: "):
            where = next((w for w in lines[n + 1:] if w.strip().startswith("on main.tf line ")), "")
            line = where.strip()[len("on main.tf line "):].split(":")[0].split(",")[0] or "?"
            return line, l[len("Error: "):].strip()
    return "?", "?"


# What `terraform fmt` refuses (testdata/fmt/refused.txt): "NAME LINE
# SUMMARY", one line each; the unit test checks that terrace refuses each
# with that summary at that line.
refused = []
for case in sorted((root / "refused").glob("*.hcl")):
    verdict = refusal(case)
    if verdict is None:
        raise SystemExit(f"refused/{case.name}: terraform fmt formats it; it belongs in cases/")
    refused.append(f"{case.stem} {verdict[0]} {verdict[1]}")
(root / "refused.txt").write_text("\n".join(refused) + "\n")
print(f"refused.txt: {len(refused)} refusals")

# What `terraform fmt` says of each fmt fuzz regression: "formats" or
# "refuses: SUMMARY", one line each (testdata/fmt/regressions.txt), so the
# unit test can check that terrace refuses exactly what Terraform refuses.
regressions = sorted((root.parents[1] / "fuzz" / "regressions" / "fmt").iterdir())
lines = []
for reg in regressions:
    verdict = refusal(reg)
    lines.append(f"{reg.name} formats" if verdict is None else f"{reg.name} refuses: {verdict[1]}")
(root / "regressions.txt").write_text("\n".join(lines) + "\n")
print(f"regressions.txt: {len(lines)} verdicts")
