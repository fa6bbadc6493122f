#!/usr/bin/env node
// `npm test`: builds any missing artifact, then lint, format, types, lessons, unit tests,
// integration tests against the real guest, end-to-end tests in Debian's Chromium, and the replay
// of every lesson's solutions on the real guest.
//   npm test -- --only unit,integration   run a subset of the stages
//   npm test -- --skip e2e
//   npm test -- --only replay             the lesson replay alone (LESSONS=4,5 for a subset)
import { spawn, spawnSync } from "node:child_process";
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

/** vitest's arguments for one run whose JSON report (to count its tests) goes to a new file. */
function vitestRun(argv) {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "vitest-")), "report.json");
  const args = [
    "vitest",
    "run",
    ...argv,
    "--reporter=default",
    "--reporter=json",
    `--outputFile=${report}`,
  ];
  return { args, report };
}

/** Counts a vitest run's tests from its JSON report; a failed run with no failed test counts one. */
function countReport(report, ok) {
  try {
    const r = JSON.parse(fs.readFileSync(report, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    if (!ok && r.numFailedTests === 0) failed++;
  } catch {
    failed++;
  }
}

/** A vitest run: counts its tests from the JSON report. */
function vitest(name, argv) {
  const { args, report } = vitestRun(argv);
  countReport(report, step(name, "npx", args));
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
// Every lesson's solution against the real guest: ~100 real docker commands, half an hour on one
// emulator, so the lessons are split in two runs side by side (one per core; a run starts each
// of its lessons from the state the lesson before it leaves, or makes that state directly).
if (want("replay") && artifactsOk) await replayShards(Number(process.env.REPLAY_SHARDS ?? 2));

/** The replay project as `shards` vitest runs at once, each on a consecutive run of lessons. */
async function replayShards(shards) {
  const started = Date.now();
  const picked = process.env.LESSONS?.split(",").map(Number);
  const orders = fs
    .readdirSync("lessons")
    .map((d) => /^(\d+)-/.exec(d)?.[1])
    .filter(Boolean)
    .map(Number)
    .filter((n) => !picked || picked.includes(n))
    .sort((a, b) => a - b);
  const count = Math.max(1, Math.min(shards, orders.length));
  const size = Math.ceil(orders.length / count);
  const groups = Array.from({ length: count }, (_, i) => orders.slice(i * size, (i + 1) * size));
  console.log(`\n=== replay: lessons ${groups.map((g) => g.join(",")).join(" | ")}`);
  const results = await Promise.all(
    groups.map((group, i) => {
      const { args, report } = vitestRun(["--project", "replay", "--bail", "1"]);
      const tag = `[replay ${i + 1}/${count}] `;
      const child = spawn("npx", args, {
        env: { ...process.env, FORCE_COLOR: "0", LESSONS: group.join(",") },
        stdio: ["ignore", "pipe", "pipe"],
      });
      // Each run's lines, tagged, as they come: two runs interleave but stay readable.
      for (const stream of [child.stdout, child.stderr]) {
        let rest = "";
        stream.on("data", (chunk) => {
          const lines = (rest + chunk).split("\n");
          rest = lines.pop();
          for (const line of lines) console.log(tag + line);
        });
        stream.on("end", () => rest && console.log(tag + rest));
      }
      return new Promise((resolve) => child.on("close", (code) => resolve({ code, report })));
    }),
  );
  let ok = true;
  for (const { code, report } of results) {
    countReport(report, code === 0);
    ok &&= code === 0;
  }
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`=== replay: ${ok ? "ok" : "FAILED"} (${secs} s)`);
  if (!ok) failures.push("replay");
}

console.log(failures.length ? `\nfailed stages: ${failures.join(", ")}` : "\nall stages ok");
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || failures.length ? 1 : 0);
