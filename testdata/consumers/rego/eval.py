"""Evaluates data.plan.decisions of plan.rego on a JSON plan with regopy
(an OPA-compatible Rego engine) and prints the decisions as JSON.
Usage: python eval.py PLAN.json"""
import json
import pathlib
import sys

import regopy

here = pathlib.Path(__file__).parent
rego = regopy.Interpreter()
rego.add_module("plan.rego", (here / "plan.rego").read_text())
rego.set_input_term(pathlib.Path(sys.argv[1]).read_text())
out = json.loads(str(rego.query("x := data.plan.decisions")))
print(json.dumps(out["bindings"]["x"], sort_keys=True))
