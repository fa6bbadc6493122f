// `npm run lint:lessons [folder ...] [--json out.json] [--name NAME]`
// Parses every lesson folder of a pack (default: lessons/) and prints each problem as
// file:line: what was expected. Exits 1 on any problem. With --json, writes the built pack
// that a teacher can serve from a static URL.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  formatError,
  parsePack,
  type PackEntries,
  type ParseResult,
} from "../src/lessons/parse.ts";
import type { Pack } from "../src/lessons/schema.ts";

const TEXT =
  /\.(md|html?|css|js|mjs|json|txt|svg|ya?ml|sh|py|conf)$|(^|\/)Dockerfile$|(^|\/)\.[a-z]+ignore$/i;

/** Every file under `dir`, keyed by its path relative to `dir` (forward slashes). */
export function readPackDir(dir: string): PackEntries {
  const entries: PackEntries = new Map();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const rel = relative(dir, full).split("\\").join("/");
        const bytes = readFileSync(full);
        entries.set(rel, TEXT.test(rel) ? bytes.toString("utf8") : new Uint8Array(bytes));
      }
    }
  };
  walk(dir);
  return entries;
}

export function lintPackDir(dir: string, requireKorean: boolean): ParseResult {
  return parsePack(readPackDir(dir), requireKorean ? { requireLocales: ["ko"] } : {});
}

function main(argv: string[]): number {
  const dirs: string[] = [];
  let out: string | undefined;
  let name = "lessons";
  let requireKorean = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") out = argv[++i];
    else if (a === "--name") name = argv[++i] ?? name;
    else if (a === "--no-require-ko") requireKorean = false;
    else dirs.push(a);
  }
  if (!dirs.length) dirs.push("lessons");
  let failed = false;
  for (const dir of dirs) {
    const { lessons, errors } = lintPackDir(resolve(dir), requireKorean);
    for (const e of errors) console.error(formatError(e, dir));
    if (errors.length) {
      failed = true;
      console.error(`${dir}: ${errors.length} problem(s)`);
      continue;
    }
    const steps = lessons.reduce((n, l) => n + l.steps.length, 0);
    const checks = lessons.reduce(
      (n, l) => n + l.steps.reduce((m, s) => m + s.checks.length, 0),
      0,
    );
    console.log(`${dir}: ${lessons.length} lessons, ${steps} steps, ${checks} checks — ok`);
    if (out) {
      const pack: Pack = { format: 1, name, lessons };
      writeFileSync(out, JSON.stringify(pack));
      console.log(`wrote ${out}`);
    }
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
