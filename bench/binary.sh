# Sourced by the bench scripts: sets `bin` to the terrace binary to
# measure: $TERRACE_BIN, else a release build of this checkout (built
# now). Needs `repo` (the checkout) and `name` (the script, for errors).
if [[ -n ${TERRACE_BIN:-} ]]; then
  bin=$TERRACE_BIN
else
  echo "building terrace (cargo build --release)..." >&2
  (cd "$repo" && cargo build --release >&2)
  bin=$repo/target/release/terrace
fi
[[ -x $bin ]] || { echo "$name: not an executable: $bin" >&2; exit 1; }
