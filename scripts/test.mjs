#!/usr/bin/env node
// `npm test`: builds any missing artifact, then lint, format, types, lessons, unit tests,
// integration tests against the real guest, and end-to-end tests in Debian's Chromium.
//   npm test -- --only unit,integration   run a subset of the stages
//   npm test -- --skip e2e
//   npm test -- --only replay             the lesson replay (opt-in, see below)
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
const pick = (flag) => {
  const i = args.indexOf(flag);
  return i >= 0 ? new Set(args[i + 1].split(",")) : null;
};
const only = pick("--only");
const skip = pick("--skip") ?? new Set();
const want = (stage) => (!only || only.has(stage)) && !skip.has(stage);

let passed = 0;
let failed = 0;
const failures = [];

function step(name, cmd, argv, opts = {}) {
  const started = Date.now();
  console.log(`\n=== ${name}: ${cmd} ${argv.join(" ")}`);
  const r = spawnSync(cmd, argv, {
    stdio: "inherit",
    env: { ...process.env, FORCE_COLOR: "0" },
    ...opts,
  });
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  if (r.status !== 0) {
    console.log(`=== ${name}: FAILED (exit ${r.status ?? r.signal}) after ${secs} s`);
    failures.push(name);
    return false;
  }
  console.log(`=== ${name}: ok (${secs} s)`);
  return true;
}

/** A step that is itself one check (lint, types): counts as one test. */
function check(name, cmd, argv) {
  if (step(name, cmd, argv)) passed++;
  else failed++;
}

/** A vitest run: counts its tests from the JSON report. */
function vitest(name, argv) {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "vitest-")), "report.json");
  const ok = step(name, "npx", [
    "vitest",
    "run",
    ...argv,
    "--reporter=default",
    "--reporter=json",
    `--outputFile=${report}`,
  ]);
  try {
    const r = JSON.parse(fs.readFileSync(report, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    if (!ok && r.numFailedTests === 0) failed++;
  } catch {
    failed++;
  }
}

const artifactsOk =
  !want("artifacts") ||
  (step("guest", "node", ["scripts/build-guest.mjs"]) &&
    step("images", "node", ["scripts/build-images.mjs"]) &&
    step("state", "npx", ["tsx", "scripts/build-state.ts"]));
if (!artifactsOk) failed++;

if (want("lint")) {
  check("eslint", "npx", ["eslint", "."]);
  check("prettier", "npx", ["prettier", "--check", "."]);
  check("types (app)", "npx", [
    "svelte-check",
    "--tsconfig",
    "./tsconfig.json",
    "--fail-on-warnings",
  ]);
  check("types (node)", "npx", ["tsc", "-p", "tsconfig.node.json", "--noEmit"]);
  check("lessons", "npx", ["tsx", "scripts/lint-lessons.ts"]);
}
if (want("unit")) vitest("unit", ["--project", "unit"]);
if (want("integration") && artifactsOk) vitest("integration", ["--project", "integration"]);
if (want("e2e") && artifactsOk) vitest("e2e", ["--config", "test/e2e/vitest.config.ts"]);
// Every lesson's solution against the real guest (~15-20 min). Opt-in until all 14 lessons have
// replayed green in one run: `npm test -- --only replay` or SANDBOX_REPLAY=1 npm test.
const replayAsked = only?.has("replay") || process.env.SANDBOX_REPLAY === "1";
if (replayAsked && !skip.has("replay") && artifactsOk)
  vitest("replay", ["--project", "replay", "--bail", "1"]);

console.log(failures.length ? `\nfailed stages: ${failures.join(", ")}` : "\nall stages ok");
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || failures.length ? 1 : 0);
