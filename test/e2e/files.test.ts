// The Files tab in the real page: a Dockerfile and a file written in the editor are in the guest
// at once (`docker build` in the terminal uses them), and a file the shell makes shows up.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import {
  PROMPT,
  openBrowser,
  serveApp,
  typeCommand,
  waitForPhase,
  waitForText,
  type AppServer,
  type BrowserSession,
} from "./harness.ts";

let server: AppServer;
let browser: BrowserSession;

beforeAll(async () => {
  server = await serveApp();
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

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
    const { page } = browser;
    await page.goto(server.url);
    await waitForPhase(page, "ready", 180_000);
    await waitForText(page, 1, PROMPT, 30_000);

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
});
