import { describe, expect, it } from "vitest";
import {
  PROMPT,
  promptCount,
  selectTerminal,
  storageSettled,
  terminalText,
  typeCommand,
  waitForPhase,
  waitForText,
  FIRST_PROMPT_MS,
} from "./harness.ts";
import { appSession } from "./session.ts";

// One browser profile through the whole file: the cold start fills its caches, the reload
// at the end must take the warm path.
const app = appSession();

/**
 * Runs a command in a terminal and waits for its output and then for the next prompt, so the
 * next keys typed land on a shell that is reading (typed earlier, the tty echoes them once
 * and readline again under the late prompt).
 */
async function run(port: number, command: string, expect: RegExp, timeoutMs = 120_000) {
  const { page } = app.browser;
  await typeCommand(page, port, command);
  const text = await waitForText(page, port, expect, timeoutMs);
  const after = await waitForText(page, port, PROMPT, 30_000);
  // `expect` may match while the output is still arriving (a CI run saw "CONTAINER ID " alone):
  // the text under the new prompt is whole, unless the early lines scrolled away meanwhile.
  return expect.test(after) ? after : text;
}

describe("the sandbox page", () => {
  it("starts cold: downloads the machine, shows a prompt, runs docker version on the real engine", async () => {
    const { page } = app.browser;
    await page.goto(app.server.url);
    await waitForPhase(page, "ready", 180_000);
    expect(await page.getAttribute("[data-source]", "data-source")).toBe("network");
    await waitForText(page, 1, PROMPT, FIRST_PROMPT_MS);

    const text = await run(1, "docker version", /Server:[\s\S]*Engine:[\s\S]*Version:\s+\d+\.\d+/);
    expect(text).toMatch(/Client:[\s\S]*Version:\s+\d+\.\d+/);
    expect(app.server.stats.byPath.get(`/vm/guest/rootfs.img`)?.requests ?? 0).toBeGreaterThan(0);
  });

  it("runs a command in the second terminal while the first one is busy", async () => {
    const { page } = app.browser;
    // `cat` holds terminal 1 until it gets input: busy for as long as the test needs.
    await typeCommand(page, 1, "cat");
    await waitForText(page, 1, /[#$] cat\s*\n\s*$/, 10_000);
    const before = await promptCount(page, 1);

    await selectTerminal(page, 2);
    await waitForText(page, 2, PROMPT, FIRST_PROMPT_MS);
    const second = await run(
      2,
      "docker ps --format '{{.Names}}' && echo second-$((6*7))",
      /second-42/,
    );
    expect(second).toMatch(/second-42/);
    // Terminal 1 is still inside `cat`: no new prompt appeared there.
    expect(await promptCount(page, 1)).toBe(before);

    await selectTerminal(page, 1);
    await page.keyboard.type("hello-from-one");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Control+D");
    const first = await waitForText(page, 1, /hello-from-one\s*\n\s*hello-from-one/);
    expect(first).toMatch(/hello-from-one/);
  });

  it("passes Ctrl+P Ctrl+Q through to the guest instead of the browser", async () => {
    const { page } = app.browser;
    await typeCommand(page, 1, "stty -ixon; cat -v");
    await waitForText(page, 1, /cat -v\s*\n/, 10_000);
    await page.keyboard.press("Control+P");
    await page.keyboard.press("Control+Q");
    await page.keyboard.press("Enter");
    await waitForText(page, 1, /\^P\^Q/);
    await page.keyboard.press("Control+D");
  });

  it("starts warm after a reload: state and disk come from this browser, nothing from the network", async () => {
    const { page } = app.browser;
    // The first visit saves the whole used disk in the background; only then may a warm start
    // (or a learner with no network) count on needing nothing from the server.
    await page.waitForSelector('[data-offline="ready"]', { timeout: 180_000 });
    await storageSettled(page);
    app.server.resetStats();
    await page.reload();
    await waitForPhase(page, "ready", 120_000);
    expect(await page.getAttribute("[data-source]", "data-source")).toBe("cache");
    await waitForText(page, 1, PROMPT, FIRST_PROMPT_MS);
    const text = await run(1, "docker ps", /CONTAINER ID/);
    expect(text).toMatch(/CONTAINER ID\s+IMAGE/);
    const vmRequests = [...app.server.stats.byPath.keys()].filter((p) => p.startsWith("/vm/"));
    expect(vmRequests).toEqual([]);
  });

  it("shows the terminal text to screen readers and tests through the DOM", async () => {
    const text = await terminalText(app.browser.page, 1);
    expect(text).toMatch(/CONTAINER ID/);
  });

  it("resets the machine to its base state after a confirm", async () => {
    const { page } = app.browser;
    await run(1, "touch /root/reset-marker && echo marker-$((40+2))", /marker-42/);
    await page.click("button.danger:not(.solid)");
    await page.waitForSelector("dialog[open]");
    await page.click("dialog[open] button.danger.solid");
    await waitForPhase(page, "restoring", 10_000);
    await waitForPhase(page, "ready", 120_000);
    const text = await run(1, "ls /root/reset-marker; echo after-$((40+3))", /after-43/);
    expect(text).toMatch(/No such file or directory/);
  });

  it("ran all of the above under the page's Content-Security-Policy, with nothing refused", async () => {
    const policy = await app.browser.page.getAttribute(
      'meta[http-equiv="Content-Security-Policy"]',
      "content",
    );
    expect(policy).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
    expect(app.browser.cspViolations).toEqual([]);
  });
});
