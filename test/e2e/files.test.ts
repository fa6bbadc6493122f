// The Files tab in the real page: a Dockerfile and a file written in the editor are in the guest
// at once (`docker build` in the terminal uses them), a file the shell makes shows up, and after
// a machine Reset the browser's copy puts the files back.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { PROMPT, typeCommand, waitForPhase, waitForText, FIRST_PROMPT_MS } from "./harness.ts";
import { appSession } from "./session.ts";

const app = appSession();

/** Makes a file in the Files tab, types its text into the editor and saves with Ctrl+S. */
async function writeInEditor(page: Page, name: string, text: string): Promise<void> {
  await page.fill(".files .name input", name);
  await page.click(".files .new-file");
  await page.waitForSelector(`.files .tree button.open[data-path="${name}"]`, { timeout: 30_000 });
  const status = '[data-testid="files-status"]';
  const saves = Number(await page.getAttribute(status, "data-saves"));
  await page.click(".files .cm-content");
  await page.keyboard.type(text, { delay: 2 });
  await page.keyboard.press("Control+s");
  // The save reached the guest when the counter moves.
  await page.waitForFunction(
    ({ status, saves }) =>
      Number(document.querySelector(status)?.getAttribute("data-saves")) > saves,
    { status, saves },
    { timeout: 30_000 },
  );
  expect(await page.textContent(status)).toContain("Saved");
}

describe("the Files tab", () => {
  it("what the editor saves, `docker build` uses; what the shell makes, the editor lists", async () => {
    const { page } = app.browser;
    await page.goto(app.server.url);
    await waitForPhase(page, "ready", 180_000);
    await waitForText(page, 1, PROMPT, FIRST_PROMPT_MS);

    await page.click("#files-tab");
    await page.waitForSelector(".files .cm-editor", { state: "attached", timeout: 30_000 });
    await writeInEditor(page, "Dockerfile", "FROM scratch\nCOPY hello.txt /hello.txt\n");
    await writeInEditor(page, "hello.txt", "hello from the editor\n");

    await typeCommand(
      page,
      1,
      "cd /root/workspace && cat hello.txt && docker build -t from-editor .",
    );
    await waitForText(page, 1, /hello from the editor/, 30_000);
    await waitForText(page, 1, /Successfully tagged from-editor:latest/, 300_000);

    await typeCommand(page, 1, "echo made-in-shell > /root/workspace/shell.txt");
    await page.click("#files-tab");
    await page.click('.files .tree button[data-path="shell.txt"]', { timeout: 30_000 });
    await page.waitForFunction(
      () => document.querySelector(".files .cm-content")?.textContent?.includes("made-in-shell"),
      undefined,
      { timeout: 30_000 },
    );
    const listed = await page.$$eval(".files .tree button", (b) => b.map((x) => x.dataset.path));
    expect(listed).toEqual(expect.arrayContaining(["Dockerfile", "hello.txt", "shell.txt"]));
  });

  it("after a machine Reset, the saved files are back in the guest", async () => {
    const { page } = app.browser;
    await page.click("#files-tab");
    await writeInEditor(page, "kept/after-reset.txt", "kept across the reset\n");
    const kept = '[data-testid="files-kept"]';
    const restores = Number(await page.getAttribute(kept, "data-restores"));

    await page.click("button.danger:not(.solid)");
    await page.waitForSelector("dialog[open]");
    await page.click("dialog[open] button.danger.solid");
    await waitForPhase(page, "restoring", 10_000);
    await waitForPhase(page, "ready", 180_000);
    // The copy is back in the guest when the Files tab counts one more put-back. Its first
    // listing after a restore took over 60 s in a clean-clone CI check, with the warm-up running
    // beside it (README, "Speed"); that is a deadline, not a wait.
    await page.waitForFunction(
      ({ kept, restores }) =>
        Number(document.querySelector(kept)?.getAttribute("data-restores")) > restores,
      { kept, restores },
      { timeout: 180_000 },
    );
    await typeCommand(
      page,
      1,
      "cat /root/workspace/kept/after-reset.txt /root/workspace/shell.txt",
    );
    await waitForText(page, 1, /kept across the reset\s+made-in-shell/, 120_000);
  });
});
