// Bad input in the browser (issue 9 §7): a state download cut off halfway, a damaged copy of the
// machine and of the last session in IndexedDB, data an older guest left behind, an image the
// sandbox does not have, a reload in the middle of `docker pull`. Each ends in a working machine,
// and the learner's lesson progress is still there. (The guest's own faults, fork bomb to kernel
// panic: test/integration/faults.test.ts.)
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import {
  FIRST_PROMPT_MS,
  PROMPT,
  selectTerminal,
  typeCommand,
  waitForPhase,
  waitForResumeSave,
  waitForText,
} from "./harness.ts";
import { appSession } from "./session.ts";
import { readGuestManifest, readStateManifest, stateDir } from "../../src/vm/node.ts";

/** The saved state, as the server has it: the first download of it breaks after CUT_AT bytes. */
const stateFile = readStateManifest(readGuestManifest()).file;
const STATE_PATH = `/vm/state/${stateFile}`;
const CUT_AT = 4 << 20;
let cutsLeft = 1;

const app = appSession({}, (pathname) => {
  if (pathname !== STATE_PATH || cutsLeft === 0) return undefined;
  cutsLeft--;
  return CUT_AT;
});

const pane = '[data-testid="lesson-pane"]';
const stepDone = `${pane} [data-step-nav="client-version"][data-status="done"]`;

async function ready(page: Page): Promise<void> {
  await waitForPhase(page, "ready", 180_000);
  await waitForText(page, 1, PROMPT, FIRST_PROMPT_MS);
}

/** Lesson 1's first step is done: the learner's progress, which no fault may touch. */
async function progressKept(page: Page): Promise<void> {
  await page.waitForSelector(stepDone, { timeout: 30_000 });
}

/**
 * Damages what this browser keeps, as a failing disk or an interrupted write would: the saved
 * state's bytes (same length, other content), the resume checkpoint's data (not gzip at all), and
 * leaves what an older guest would have: a state under another hash and another disk database.
 */
async function damageStorage(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const open = (name: string, store: string) =>
      new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name);
        request.onupgradeneeded = () => request.result.createObjectStore(store);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    const done = (tx: IDBTransaction) =>
      new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = tx.onabort = () => reject(tx.error);
      });
    const request = <T>(r: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const damaged: string[] = [];

    const states = await open("docker-sandbox-state", "states");
    let tx = states.transaction("states", "readwrite");
    let store = tx.objectStore("states");
    for (const key of (await request(store.getAllKeys())) as string[]) {
      if (!key.startsWith("state:")) continue;
      const bytes = new Uint8Array((await request(store.get(key))) as Uint8Array);
      for (let i = bytes.length >> 1; i < (bytes.length >> 1) + 4096; i++)
        bytes[i] = bytes[i]! ^ 0x5a;
      store.put(bytes, key);
      damaged.push(key);
    }
    store.put(new Uint8Array(1024), "state:0000000000000000000000000000000000000000older-guest");
    await done(tx);
    states.close();

    const checkpoints = await open("docker-sandbox-checkpoints", "checkpoints");
    tx = checkpoints.transaction("checkpoints", "readwrite");
    store = tx.objectStore("checkpoints");
    // The last session's parts (the resume checkpoint is the only one): checksums no longer match.
    for (const key of (await request(store.getAllKeys())) as string[]) {
      if (!key.startsWith("pack:")) continue;
      const bytes = new Uint8Array((await request(store.get(key))) as Uint8Array);
      for (let i = bytes.length >> 1; i < (bytes.length >> 1) + 4096; i++)
        bytes[i] = bytes[i]! ^ 0x5a;
      store.put(bytes, key);
      damaged.push(key);
    }
    await done(tx);
    checkpoints.close();

    const older = await open("docker-sandbox-disk-00000000older-guest-65536", "chunks");
    tx = older.transaction("chunks", "readwrite");
    tx.objectStore("chunks").put(new Uint8Array(65536), 0);
    await done(tx);
    older.close();
    return damaged;
  });
}

describe("bad input in the browser ends in a working machine", () => {
  it("a state download cut off halfway resumes where it broke, and the machine starts", async () => {
    const { page } = app.browser;
    await page.goto(app.server.url);
    await ready(page);
    expect(await page.getAttribute("[data-source]", "data-source")).toBe("network");
    const size = fs.statSync(path.join(stateDir, stateFile)).size;
    const served = app.server.stats.byPath.get(STATE_PATH);
    // Two requests: the broken one (counted whole) and a Range for the rest, not a fresh start.
    // (The browser drops what was still in flight when the connection broke: the rest starts
    // somewhat before CUT_AT.)
    expect(served?.requests).toBe(2);
    expect(served!.bytes).toBeGreaterThanOrEqual(size + (size - CUT_AT));
    expect(served!.bytes).toBeLessThan(2 * size);

    // Progress to keep through what follows: lesson 1's first step, done on the real engine.
    await page.click(`${pane} button[data-lesson="what-is-docker"]`);
    const typedAt = Date.now();
    await typeCommand(page, 1, "docker -v");
    await page.waitForSelector(stepDone, { timeout: 120_000 });
    await waitForResumeSave(page, typedAt);
  });

  it("a damaged machine copy and a damaged last session: both said, a fresh download, older data dropped", async () => {
    const { page } = app.browser;
    const damaged = await damageStorage(page);
    expect(damaged.filter((k) => k.startsWith("state:"))).toHaveLength(1);
    expect(damaged.filter((k) => k.startsWith("pack:")).length).toBeGreaterThan(0);

    app.server.resetStats();
    await page.reload();
    // The notices come with Ready and fade after 15 s: read them before waiting for a prompt.
    await waitForPhase(page, "ready", 180_000);
    const notices = '[data-testid="crash-notice"]';
    await page.waitForSelector(`${notices} [data-kind="resume-failed"]`, { timeout: 10_000 });
    await page.waitForSelector(`${notices} [data-kind="damaged-cache"]`, { timeout: 10_000 });
    expect(await page.locator(`${notices} [data-kind="damaged-cache"]`).innerText()).toMatch(
      /damaged[\s\S]*downloaded a fresh copy/,
    );
    await waitForText(page, 1, PROMPT, FIRST_PROMPT_MS);
    expect(await page.getAttribute("[data-source]", "data-source")).toBe("network");
    expect(app.server.stats.byPath.get(STATE_PATH)?.requests).toBe(1);
    expect(await page.locator('[data-testid="resumed"]').count()).toBe(0);

    // What an older guest left is gone; the fresh copy is stored again.
    const left = await page.evaluate(async () => {
      const names = (await indexedDB.databases()).map((d) => d.name ?? "");
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open("docker-sandbox-state");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
        const request = db.transaction("states").objectStore("states").getAllKeys();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      db.close();
      return {
        olderDisks: names.filter((n) => n.includes("older-guest")),
        states: keys.map(String).filter((k) => k.startsWith("state:")),
      };
    });
    expect(left.olderDisks).toEqual([]);
    expect(left.states).toEqual(damaged.filter((k) => k.startsWith("state:")));
    await progressKept(page);
    await typeCommand(page, 1, "docker version --format 'server {{.Server.Version}}'");
    const version = await waitForText(page, 1, /\nserver \d+\.\d+\.\d+[\s\S]*[#$]\s*$/, 120_000);
    expect(version).toMatch(/\nserver 20\.10\.\d+/);
  });

  it("an image that is not here: dockerd's own error in the terminal, the closest one in the page", async () => {
    const { page } = app.browser;
    await typeCommand(page, 1, "docker run --rm ubuntu:14.04 echo hi");
    const text = await waitForText(page, 1, /Error response from daemon[\s\S]*[#$]\s*$/, 120_000);
    expect(text).toMatch(/Unable to find image 'ubuntu:14.04' locally/);
    const notice = page.locator('[data-testid="crash-notice"] [data-kind="missing-image"]');
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.innerText()).toMatch(
      /“ubuntu:14.04” is not available here[\s\S]*32-bit[\s\S]*closest one here is debian/,
    );
    await notice.getByRole("button", { name: "Dismiss" }).click();
    await notice.waitFor({ state: "detached", timeout: 5_000 });
  });

  it("a reload in the middle of docker pull: the pull is done again and the image runs", async () => {
    const { page } = app.browser;
    await typeCommand(page, 1, "docker pull nginx");
    await waitForText(page, 1, /Pulling fs layer|Downloading|Extracting/, 120_000);
    await page.reload();
    await waitForPhase(page, "ready", 180_000);
    // The machine may come back mid-pull (saved as the page went): stop whatever still runs.
    // In one clean-clone CI check the shell echoed ^C but gave no prompt for 120 s after this
    // restore (the warm-up ran beside it, and terminals could lose a serial interrupt then:
    // README, "Speed" and "src/vm/machine.ts"); ask again, as a learner would, before calling it
    // broken.
    await selectTerminal(page, 1);
    await page.keyboard.press("Control+C");
    await waitForText(page, 1, PROMPT, FIRST_PROMPT_MS).catch(async () => {
      await page.keyboard.press("Enter");
      await waitForText(page, 1, PROMPT, FIRST_PROMPT_MS);
    });
    await typeCommand(page, 1, "docker pull nginx && docker run --rm nginx nginx -v");
    const text = await waitForText(page, 1, /nginx version: nginx\/[\d.]+[\s\S]*[#$]\s*$/, 240_000);
    expect(text).toMatch(/Status: (Downloaded newer image|Image is up to date) for nginx:latest/);
    await progressKept(page);
  });
});
