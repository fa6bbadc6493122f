/// <reference lib="dom" />
// Drives the built app in Debian's Chromium (playwright-core, never a downloaded browser).
// Shared by the end-to-end tests and the browser benchmark (scripts/bench-browser.ts).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
// @ts-expect-error plain JS module with JSDoc types
import { createAppServer, newStats } from "../../scripts/serve.mjs";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

export interface ServeStats {
  requests: number;
  bytes: number;
  byPath: Map<string, { requests: number; bytes: number }>;
}

export interface AppServer {
  url: string;
  stats: ServeStats;
  resetStats(): void;
  close(): Promise<void>;
}

/**
 * Serves dist/ (built by `npm run build`) and the guest artifacts, optionally throttled. `cut`
 * breaks responses like a bad network: for a path it names, the connection drops after that
 * many body bytes.
 */
export async function serveApp(
  throttle: { delayMs?: number; mbps?: number } = {},
  cut?: (pathname: string) => number | undefined,
): Promise<AppServer> {
  const dist = path.join(root, "dist");
  if (!fs.existsSync(path.join(dist, "index.html")))
    throw new Error("dist/ is missing: run `npm run build` first");
  const stats: ServeStats = newStats();
  const server = createAppServer({
    dist,
    vm: path.join(root, "vm-images/out"),
    images: path.join(root, "images-out"),
    throttle,
    stats,
    cut,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    stats,
    resetStats() {
      stats.requests = 0;
      stats.bytes = 0;
      stats.byPath.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  userDataDir: string;
  /** Everything the browser refused under the page's Content-Security-Policy (console lines). */
  cspViolations: string[];
  /** Renderer processes' resident memory, MB (the page and its workers). */
  rendererRssMb(): number;
  close(): Promise<void>;
}

/** A fresh Chromium profile: empty HTTP cache, empty IndexedDB. */
export async function openBrowser(
  options: { width?: number; height?: number; locale?: string } = {},
): Promise<BrowserSession> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: options.width ?? 1280, height: options.height ?? 720 },
    locale: options.locale ?? "en-US",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => console.error("[page error]", error.message));
  const cspViolations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return {
    context,
    page,
    userDataDir,
    cspViolations,
    rendererRssMb: () => rendererRssMb(userDataDir),
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Sums RSS of this profile's renderer processes (found by their --user-data-dir). */
export function rendererRssMb(userDataDir: string): number {
  let kb = 0;
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmdline.includes("--type=renderer") || !cmdline.includes(userDataDir)) continue;
      if (cmdline.includes("--extension-process")) continue;
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      kb = Math.max(kb, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // the process ended meanwhile
    }
  }
  return Math.round(kb / 1024);
}

/** Text of one terminal, read from xterm's DOM renderer as a screen reader would see it. */
export async function terminalText(page: Page, port: number): Promise<string> {
  return page.evaluate((port) => {
    const rows = document.querySelector(`#terminal-panel-${port} .xterm-rows`);
    return rows ? [...rows.children].map((row) => row.textContent ?? "").join("\n") : "";
  }, port);
}

/** Waits until the terminal's text matches; fails with the screen's text after `timeoutMs`. */
export async function waitForText(
  page: Page,
  port: number,
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<string> {
  try {
    await page.waitForFunction(
      ({ port, source, flags }) => {
        const rows = document.querySelector(`#terminal-panel-${port} .xterm-rows`);
        const text = rows ? [...rows.children].map((row) => row.textContent ?? "").join("\n") : "";
        return new RegExp(source, flags).test(text);
      },
      { port, source: pattern.source, flags: pattern.flags },
      { timeout: timeoutMs, polling: 100 },
    );
  } catch (error) {
    const text = await terminalText(page, port).catch(() => "(page gone)");
    throw new Error(
      `terminal ${port} never matched ${pattern} within ${timeoutMs} ms; it shows:\n${text}`,
      {
        cause: error,
      },
    );
  }
  return terminalText(page, port);
}

/**
 * How long a test waits for a terminal's first prompt after Ready. Usually 2–4 s; it came 31–51 s
 * after Ready in some CI runs, with the hidden warm-up running beside it on a loaded machine
 * (scripts/dev/first-prompt.mts; README "Speed").
 */
export const FIRST_PROMPT_MS = 120_000;

/** Bash's prompt as the guest's .bashrc draws it: `user@host:dir# `. */
export const PROMPT = /\S+@\S+:[^\n]*[#$]\s*$/;

/** Count of prompts on screen, to tell a new prompt from an old one. */
export async function promptCount(page: Page, port: number): Promise<number> {
  const text = await terminalText(page, port);
  return text.split("\n").filter((line) => /\S+@\S+:\S*[#$]/.test(line)).length;
}

export async function selectTerminal(page: Page, port: number): Promise<void> {
  await page.click(`#terminal-tab-${port}`);
  await page.click(`#terminal-panel-${port} .xterm-screen`);
}

/** Types a command into the terminal as the learner would, then presses Enter. */
export async function typeCommand(page: Page, port: number, command: string): Promise<void> {
  await selectTerminal(page, port);
  await page.keyboard.type(command, { delay: 5 });
  await page.keyboard.press("Enter");
}

/** Waits for the page's engine status (the `window.sandbox` handle) to reach a phase. */
export async function waitForPhase(page: Page, phase: string, timeoutMs = 120_000): Promise<void> {
  await page.waitForFunction(
    (phase) =>
      (globalThis as unknown as { sandbox?: { machine: { phase: string } } }).sandbox?.machine
        .phase === phase,
    phase,
    { timeout: timeoutMs, polling: 100 },
  );
}

/** Waits until this origin's storage stops growing: the disk cache's batched writes landed. */
export async function storageSettled(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(
    async () => {
      const w = globalThis as unknown as { lastUsage?: number };
      const usage = (await navigator.storage.estimate()).usage ?? 0;
      const settled = usage === w.lastUsage;
      w.lastUsage = usage;
      return settled;
    },
    undefined,
    { timeout: timeoutMs, polling: 500 },
  );
}

/** Waits until the automatic resume checkpoint has been saved after `after` (ms since epoch). */
export async function waitForResumeSave(
  page: Page,
  after: number,
  timeoutMs = 120_000,
): Promise<void> {
  await page.waitForFunction(
    (after) =>
      (
        globalThis as unknown as {
          sandbox: { machine: { checkpoints: { id: string; savedAt: number }[] } };
        }
      ).sandbox.machine.checkpoints.some((c) => c.id === "auto" && c.savedAt > after),
    after,
    { timeout: timeoutMs, polling: 200 },
  );
}
