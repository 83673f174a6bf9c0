#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/TARGET/) from the repository's own
# test data and examples, and from records made by running terrace on the
# examples (state files, saved plans, project.json, plugin answers). Inputs
# that once crashed a target (fuzz/regressions/TARGET/) are added too.
#
#   fuzz/seed.sh            # uses target/debug/terrace, built if missing
#   TERRACE=path fuzz/seed.sh
#   TERRACE_FUZZ_CORPUS=dir fuzz/seed.sh   # seeds dir/TARGET/ instead
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
corpus=${TERRACE_FUZZ_CORPUS:-$repo/fuzz/corpus}
terrace=${TERRACE:-$repo/target/debug/terrace}
if [ ! -x "$terrace" ]; then
  cargo build --quiet
fi
for t in definitions expression fmt state plan_file project_json plugin_wire markdown_split; do
  mkdir -p "$corpus/$t"
done
seed() { # seed TARGET < content: named by its hash, as libFuzzer does
  local tmp
  tmp=$(mktemp "$corpus/$1/.seed-XXXXXX")
  cat > "$tmp"
  mv "$tmp" "$corpus/$1/$(sha1sum < "$tmp" | cut -c1-40)"
}

# definitions: project.hcl NUL architecture files (NUL a second file).
for dir in testdata/plan/* testdata/invalid/* examples/*; do
  [ -d "$dir" ] || continue
  for proj in $(find "$dir" -maxdepth 2 -name project.hcl | sort); do
    root=$(dirname "$proj")
    arch=$(grep -o 'architecture *= *"\./[^"]*"' "$proj" | head -1 | sed 's/.*"\.\/\([^"]*\)"/\1/' || true)
    {
      sed 's/architecture *= *"\.\/[^"]*"/architecture = ".\/arch"/' "$proj"
      if [ -n "$arch" ] && [ -d "$root/$arch" ]; then
        files=$(find "$root/$arch" -maxdepth 1 -name '*.hcl' | sort)
        printf '\0'
        for f in $files; do cat "$f"; echo; done
      fi
    } | seed definitions
  done
done

# expression: every case of the conformance corpus (`== name` then the
# expression), and every fmt case as a whole.
for f in testdata/conformance/*.cases; do
  python3 - "$f" "$corpus/expression" <<'PY'
import sys, pathlib
src, out = sys.argv[1], pathlib.Path(sys.argv[2])
cases = open(src, encoding="utf-8").read().split("\n== ")[1:]
for i, c in enumerate(cases):
    body = c.split("\n", 1)[1] if "\n" in c else ""
    (out / f"{pathlib.Path(src).stem}-{i}").write_text(body.strip() + "\n", encoding="utf-8")
PY
done

# fmt: the fmt corpus and every definition file.
for f in testdata/fmt/cases/*.hcl $(find examples testdata/plan testdata/invalid -name '*.hcl' | sort); do
  seed fmt < "$f"
done

# Records made by running terrace on copies of the examples.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for ex in quickstart shop; do
  cp -r "examples/$ex" "$work/$ex"
  (
    cd "$work/$ex"
    export SHOP_DEV_API_KEY=anything
    "$terrace" plan --env dev --out create.plan >/dev/null 2>&1 || true
    "$terrace" apply --env dev --auto-approve >/dev/null 2>&1 || true
    "$terrace" plan --env dev --destroy --out destroy.plan >/dev/null 2>&1 || true
    "$terrace" export --output project.json >/dev/null 2>&1 || true
  )
  for p in "$work/$ex"/*.plan; do [ -f "$p" ] && seed plan_file < "$p"; done
  if [ -f "$work/$ex/project.json" ]; then
    seed project_json < "$work/$ex/project.json"
    python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["project"]))' \
      "$work/$ex/project.json" | seed project_json
  fi
  for s in $(find "$work/$ex/.terrace/envs" -name '*.json' -path '*state*' 2>/dev/null | sort); do
    seed state < "$s"
    python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["state"]))' \
      "$s" | seed state 2>/dev/null || true
  done
done
# Saved plans of the plan fixtures (everything created).
for dir in testdata/plan/*; do
  cp -r "$dir" "$work/fixture"
  (cd "$work/fixture" && "$terrace" plan --env dev --out p.plan >/dev/null 2>&1) || true
  [ -f "$work/fixture/p.plan" ] && seed plan_file < "$work/fixture/p.plan"
  rm -rf "$work/fixture"
done

# plugin_wire: the example plugin's own answers, and the documented forms.
{
  echo '{"id":0,"method":"handshake","protocol_version":1}'
  echo '{"id":1,"method":"plan","type":"kv_entry","config":{"key":"a","value":[1,{"x":true}],"store":"s","id":{"$unknown":true},"version":{"$unknown":true}},"prior":null}'
  echo '{"id":2,"method":"create","type":"kv_entry","planned":{"key":"a","value":"v","store":"s","id":{"$unknown":true},"version":{"$unknown":true}}}'
  echo '{"id":3,"method":"read","type":"kv_entry","state":{"key":"a","value":"v","store":"s","id":"s/a","version":1}}'
  echo '{"id":4,"method":"read_data","type":"kv_entry","config":{"key":"a","store":"s"}}'
  echo '{"id":5,"method":"delete","type":"kv_entry","state":{"key":"a","value":"v","store":"s","id":"s/a","version":1}}'
} > "$work/requests"
(cd "$work" && python3 "$repo/examples/plugins/kv_store.py" < requests > answers 2>/dev/null) || true
while IFS= read -r line; do printf '%s\n' "$line" | seed plugin_wire; done < "$work/answers"
echo '{"id": 7, "error": {"message": "quota exceeded", "attribute": "size"}}' | seed plugin_wire
echo '{"id": 8, "result": {"state": null}}' | seed plugin_wire
echo '{"id": 9, "result": {"planned": {"a": {"$unknown": true}, "n": 1.5e300}, "requires_replace": ["a"]}}' | seed plugin_wire

# markdown_split: structured input; a few pseudo-random starts (the same
# bytes on every run).
for i in 1 2 3 4; do
  python3 -c 'import random, sys; r = random.Random(int(sys.argv[1])); sys.stdout.buffer.write(r.randbytes(int(sys.argv[2])))' \
    "$i" $((i * 512)) | seed markdown_split
done

# Inputs that once crashed a target.
if [ -d fuzz/regressions ]; then
  for d in fuzz/regressions/*/; do
    t=$(basename "$d")
    mkdir -p "$corpus/$t"
    cp "$d"* "$corpus/$t/" 2>/dev/null || true
  done
fi
for t in "$corpus"/*; do echo "$(basename "$t"): $(ls "$t" | wc -l) seeds"; done
