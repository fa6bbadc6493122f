#!/usr/bin/env node
// npm start: builds whatever is missing (guest, saved state, app), serves the app, prints the URL.
//   PORT=9000 npm start      another port (default 8080)
//   HOST=0.0.0.0 npm start   listen beyond this machine (default 127.0.0.1)

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { createAppServer, guestPlugin } from "./serve.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "vm-images/out");
const log = (...args) => console.error("[start]", ...args);

function run(script) {
  const argv = ["npm", "run", script];
  log("running", argv.join(" "));
  const result = spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    log(`\`npm run ${script}\` failed (exit ${result.status}); see its output above.`);
    process.exit(1);
  }
}

// Each build says "up to date" quickly when its recipes have not changed, and rebuilds a stale one.
run("build:guest");
if (!fs.existsSync(path.join(root, "images-out/index.json"))) run("build:images");
// build:state answers "up to date" at once when this guest's state and disk packs exist.
run("build:state");

log("building the app (vite build)");
await build({
  root,
  logLevel: "warn",
  plugins: [guestPlugin({ out })],
  worker: { plugins: () => [guestPlugin({ out, copy: false })] },
});

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? "127.0.0.1";
const server = createAppServer({
  dist: path.join(root, "dist"),
  vm: out,
  images: path.join(root, "images-out"),
});
server.on("error", (error) => {
  log(`cannot listen on ${host}:${port}: ${error.message}. Try PORT=<other port> npm start.`);
  process.exit(1);
});
server.listen(port, host, () => {
  const shown = host === "0.0.0.0" ? "localhost" : host;
  console.log(`Docker Sandbox is running at http://${shown}:${port}/  (Ctrl+C to stop)`);
});
