// Browser benchmark: the built app in headless Debian Chromium against the real guest.
// Times are from navigation start (the page's performance.now()), to the moment the terminal
// shows the command's output followed by a fresh prompt.
//
//   import { benchBrowser } from "./bench-browser.ts";  const numbers = await benchBrowser();
//   npx tsx scripts/bench-browser.ts [--json]            (after `npm run build`; boots the guest)

/// <reference lib="dom" />
import type { Page } from "playwright-core";
import buildApp from "../test/e2e/build-app.ts";
import { openBrowser, serveApp, storageSettled, type AppServer } from "../test/e2e/harness.ts";

export interface BrowserBench {
  /** Empty caches → the first `docker ps` answered in the terminal. */
  browser_cold_ready_ms: number;
  /** Same after a reload with caches filled. */
  browser_warm_ready_ms: number;
  /** Warm: navigation → first `docker run --rm` done. */
  browser_first_run_ms: number;
  /** Bytes the server sent until cold ready (app, state, disk). */
  cold_fetch_bytes: number;
  warm_fetch_bytes: number;
  /** Renderer RSS (page + its workers) after the warm run. */
  tab_memory_mb: number;
  /** Cold ready over a link with 20 ms per request and 100 Mbit/s. */
  browser_cold_ready_slow_ms: number;
  cold_fetch_requests: number;
  warm_fetch_requests: number;
  /** Saving a named checkpoint of the used machine (save_state + gzip + IndexedDB). */
  checkpoint_save_ms: number;
  checkpoint_bytes: number;
  /** Restore that checkpoint → the engine answers again. */
  checkpoint_restore_ms: number;
  /** Reset (base state) → the engine answers again. */
  reset_ready_ms: number;
}

type PageSandbox = {
  sandbox: {
    machine: {
      phase: string;
      saveCheckpoint(name: string): Promise<{ id: string; bytes: number }>;
      restoreCheckpoint(id: string): Promise<void>;
      reset(): Promise<void>;
    };
  };
};

/** Times one machine action in the page until the engine is ready again. */
async function timeInPage(page: Page, action: "save" | "restore" | "reset", id?: string) {
  return page.evaluate(
    async ({ action, id }) => {
      const machine = (globalThis as unknown as PageSandbox).sandbox.machine;
      const started = performance.now();
      let bytes = 0;
      let savedId = "";
      if (action === "save") {
        const info = await machine.saveCheckpoint("bench");
        bytes = info.bytes;
        savedId = info.id;
      } else if (action === "restore") await machine.restoreCheckpoint(id!);
      else await machine.reset();
      if (machine.phase !== "ready") throw new Error(`${action}: the machine is ${machine.phase}`);
      return { ms: Math.round(performance.now() - started), bytes, id: savedId };
    },
    { action, id },
  );
}

export interface BenchOptions {
  /** The command timed for browser_first_run_ms; must leave a prompt. */
  runCommand?: string;
  runDone?: RegExp;
  log?: (line: string) => void;
}

const PROMPT_LINE = /\S+@\S+:\S*[#$]/;

/**
 * Types `command` in terminal 1 once a prompt is there and resolves with performance.now() in the
 * page at the moment `done` matched the output after it and a new prompt followed.
 */
async function timeCommand(
  page: Page,
  command: string,
  done: RegExp,
  timeoutMs: number,
  log?: (line: string) => void,
) {
  await page.waitForFunction(
    (source) => {
      const rows = document.querySelector("#terminal-panel-1 .xterm-rows");
      const lines = rows ? [...rows.children].map((r) => (r.textContent ?? "").trimEnd()) : [];
      const last = lines.filter((l) => l.length > 0).at(-1) ?? "";
      return new RegExp(source).test(last);
    },
    PROMPT_LINE.source,
    { timeout: timeoutMs, polling: 20 },
  );
  if (log)
    log(`prompt for ${command} at ${Math.round(await page.evaluate(() => performance.now()))} ms`);
  await page.click("#terminal-panel-1 .xterm-screen");
  await page.keyboard.type(command);
  await page.keyboard.press("Enter");
  const handle = await page.waitForFunction(
    ({ command, done, prompt }) => {
      const rows = document.querySelector("#terminal-panel-1 .xterm-rows");
      const text = rows
        ? [...rows.children].map((r) => (r.textContent ?? "").trimEnd()).join("\n")
        : "";
      const at = text.lastIndexOf(command);
      if (at < 0) return false;
      const after = text.slice(at + command.length);
      const lines = after.split("\n").filter((l) => l.length > 0);
      const ended = lines.length > 1 && new RegExp(prompt).test(lines.at(-1)!);
      return ended && new RegExp(done).test(after) ? performance.now() : false;
    },
    { command, done: done.source, prompt: PROMPT_LINE.source },
    { timeout: timeoutMs, polling: 20 },
  );
  return Math.round((await handle.jsonValue()) as number);
}

async function coldStart(server: AppServer, log: (s: string) => void) {
  const session = await openBrowser();
  try {
    server.resetStats();
    await session.page.goto(server.url);
    const readyMs = await timeCommand(session.page, "docker ps", /CONTAINER ID/, 300_000, log);
    log(
      `cold ready ${readyMs} ms, ${server.stats.bytes} bytes in ${server.stats.requests} requests`,
    );
    return { session, readyMs, bytes: server.stats.bytes, requests: server.stats.requests };
  } catch (error) {
    await session.close();
    throw error;
  }
}

export async function benchBrowser(options: BenchOptions = {}): Promise<BrowserBench> {
  const log = options.log ?? ((line: string) => console.error("[bench:browser]", line));
  const runCommand = options.runCommand ?? "docker run --rm hello-world";
  const runDone = options.runDone ?? /Hello from Docker/;

  await buildApp(); // dist/ as the code is now, with the current guest and state
  const server = await serveApp();
  let cold, warmReady, warmBytes, warmRequests, firstRun, memory, saved, restored, reset;
  try {
    cold = await coldStart(server, log);
    const { page } = cold.session;
    // The worker's own timeline of a checkpoint (quiet wait, save_state, pack and store).
    page.on("console", (m) => {
      if (m.text().startsWith("[machine] checkpoint")) log(m.text());
    });
    // "Caches filled": the first visit has stored the whole disk (after its warm-up), so the
    // reload is what a returning learner gets.
    await page.waitForSelector('[data-offline="ready"]', { timeout: 900_000 });
    await storageSettled(page);
    server.resetStats();
    await page.reload();
    warmReady = await timeCommand(page, "docker ps", /CONTAINER ID/, 300_000, log);
    warmBytes = server.stats.bytes;
    warmRequests = server.stats.requests;
    log(`warm ready ${warmReady} ms, ${warmBytes} bytes in ${warmRequests} requests`);
    firstRun = await timeCommand(page, runCommand, runDone, 300_000);
    log(`first run done ${firstRun} ms`);
    memory = cold.session.rendererRssMb();
    log(`renderer RSS ${memory} MB`);
    saved = await timeInPage(page, "save");
    log(`checkpoint saved in ${saved.ms} ms, ${saved.bytes} bytes`);
    restored = await timeInPage(page, "restore", saved.id);
    log(`checkpoint restored in ${restored.ms} ms`);
    reset = await timeInPage(page, "reset");
    log(`reset ready in ${reset.ms} ms`);
  } finally {
    await cold?.session.close();
    await server.close();
  }

  const slowServer = await serveApp({ delayMs: 20, mbps: 100 });
  let slow;
  try {
    slow = await coldStart(slowServer, log);
  } finally {
    await slow?.session.close();
    await slowServer.close();
  }

  return {
    browser_cold_ready_ms: cold.readyMs,
    browser_warm_ready_ms: warmReady,
    browser_first_run_ms: firstRun,
    cold_fetch_bytes: cold.bytes,
    warm_fetch_bytes: warmBytes,
    tab_memory_mb: memory,
    browser_cold_ready_slow_ms: slow.readyMs,
    cold_fetch_requests: cold.requests,
    warm_fetch_requests: warmRequests,
    checkpoint_save_ms: saved.ms,
    checkpoint_bytes: saved.bytes,
    checkpoint_restore_ms: restored.ms,
    reset_ready_ms: reset.ms,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchBrowser();
  console.log(process.argv.includes("--json") ? JSON.stringify(result) : result);
}
