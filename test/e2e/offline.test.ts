// Offline after one visit (issue 9 §4): the app shell comes from the service worker's precache,
// the machine (state, disk, BIOS) and pulled image blobs from IndexedDB. The reload happens with
// the browser offline, and the server counts every request it gets: it must get none.
import { describe, expect, it } from "vitest";
import {
  PROMPT,
  storageSettled,
  typeCommand,
  waitForPhase,
  waitForResumeSave,
  waitForText,
  FIRST_PROMPT_MS,
} from "./harness.ts";
import { appSession } from "./session.ts";

const app = appSession();

async function run(command: string, expect: RegExp, timeoutMs = 120_000) {
  await typeCommand(app.browser.page, 1, command);
  return waitForText(app.browser.page, 1, expect, timeoutMs);
}

describe("offline after one visit", () => {
  it("first visit: installs the app's service worker and saves the machine and a pulled image", async () => {
    const { page } = app.browser;
    await page.goto(app.server.url);
    // The first install claims the open page, so this visit is already controlled.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
      timeout: 60_000,
    });
    const script = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
    expect(script).toMatch(/\/app-sw\.js$/);
    const manifest = await page.getAttribute('link[rel="manifest"]', "href");
    expect(manifest).toMatch(/manifest\.webmanifest$/);

    await waitForPhase(page, "ready", 180_000);
    await waitForText(page, 1, PROMPT, FIRST_PROMPT_MS);
    // Blobs come from the in-page registry, which keeps them in IndexedDB.
    const beforePull = Date.now();
    await run(
      "docker pull busybox",
      /Status: Downloaded newer image for [^\n]*busybox[\s\S]*[#$]\s*$/,
    );
    await page.waitForSelector('[data-offline="ready"]', { timeout: 240_000 });
    await storageSettled(page);
    // The machine with the pulled image is kept for the next visit once the terminal is quiet.
    await waitForResumeSave(page, beforePull);

    const storage = page.getByTestId("storage-status");
    await storage.waitFor({ timeout: 30_000 });
    expect(await storage.textContent()).toMatch(/\d+ MB/);
  });

  it("reloads with the network off: the app loads, the machine restores from cache, docker works", async () => {
    const { page, context } = app.browser;
    await context.setOffline(true);
    app.server.resetStats();
    await page.reload();
    await waitForPhase(page, "ready", 120_000);
    expect(await page.getAttribute("[data-source]", "data-source")).toBe("cache");
    // The machine continues where the first visit left it: that checkpoint is in IndexedDB too.
    await page.waitForSelector('[data-testid="resumed"]', { timeout: 10_000 });
    await waitForText(page, 1, PROMPT, 30_000).catch(() => typeCommand(page, 1, ""));

    const version = await run(
      "docker version",
      /Server:[\s\S]*Engine:[\s\S]*Version:\s+\d+\.\d+[\s\S]*[#$]\s*$/,
    );
    expect(version).toMatch(/Client:[\s\S]*Version:\s+\d+\.\d+/);
    expect(await run("docker image ls busybox", /busybox[\s\S]*[#$]\s*$/)).toMatch(
      /^busybox\s+latest/m,
    );
    // Removed and pulled again: the blobs come from this browser (the bundled images' index
    // comes from the precache).
    const pulled = await run(
      "docker rmi busybox >/dev/null && docker run --rm busybox echo offline-ok",
      /\n\s*offline-ok\s*\n[\s\S]*[#$]\s*$/,
      180_000,
    );
    expect(pulled).toMatch(/Pull complete|Downloaded newer image/);
    // Nothing reached the server but the browser's own update check of the service worker
    // script (Playwright's offline mode does not cover it; with no network it simply fails).
    const fetched = [...app.server.stats.byPath.keys()].filter(
      (p) => p !== "/app-sw.js" && p !== "/preview-sw.js",
    );
    expect(fetched).toEqual([]);
  });

  it("shows what is stored and keeps it protected", async () => {
    const { page } = app.browser;
    await page.getByTestId("storage-status").click();
    const panel = page.getByTestId("storage-panel");
    await panel.waitFor({ state: "visible" });
    await page.locator('[data-part="disk"]').waitFor();
    const disk = await page.locator('[data-part="disk"] td').textContent();
    expect(Number(/([\d.]+) MB/.exec(disk ?? "")?.[1])).toBeGreaterThan(50);
    const images = await page.locator('[data-part="images"] td').textContent();
    expect(Number(/([\d.]+) MB/.exec(images ?? "")?.[1])).toBeGreaterThan(0.5);
    await page.keyboard.press("Escape");
  });
});
