// The Preview tab in the real page: the learner runs `docker run -d -p 8080:80 nginx` in the
// terminal, the port appears in the status bar, the preview shows nginx's page through the
// service-worker route (TCP into the guest, no server), a page with CSS, JS and a fetch() works, the
// page cannot read the app's storage, the same route works in a new tab, and after
// `docker stop` the preview says the server is gone.
import { describe, expect, it } from "vitest";
import type { Frame, Page } from "playwright-core";
import {
  PROMPT,
  promptCount,
  typeCommand,
  waitForPhase,
  waitForText,
  FIRST_PROMPT_MS,
} from "./harness.ts";
import { appSession } from "./session.ts";

const app = appSession();

/** The preview iframe showing `src` (a new address replaces the frame), once it exists. */
async function previewFrame(page: Page, src: string): Promise<Frame> {
  const handle = await page.waitForSelector(`#preview-panel iframe[src="${src}"]`, {
    timeout: 60_000,
  });
  const frame = await handle.contentFrame();
  if (!frame) throw new Error("the preview iframe has no document");
  return frame;
}

/** Writes a file into the web root of the container publishing 8080 (setup, not the learner). */
async function putFile(page: Page, name: string, content: string): Promise<void> {
  const reply = await page.evaluate(
    async ({ name, content }) => {
      const sandbox = (
        globalThis as unknown as { sandbox: { machine: { agent(r: unknown): Promise<unknown> } } }
      ).sandbox;
      return sandbox.machine.agent({
        op: "exec",
        argv: [
          "sh",
          "-c",
          `docker exec -i $(docker ps -q --filter publish=8080) sh -c 'mkdir -p /usr/share/nginx/html/g && cat > /usr/share/nginx/html/g/${name}'`,
        ],
        stdin: content,
        timeoutMs: 60_000,
      });
    },
    { name, content },
  );
  expect(reply).toMatchObject({ ok: true, exit: 0 });
}

describe("the Preview tab", () => {
  it("shows nginx's page from the terminal's `docker run -d -p 8080:80 nginx`, then says when it stopped", async () => {
    const { page } = app.browser;
    await page.goto(app.server.url);
    await waitForPhase(page, "ready", 180_000);
    await waitForText(page, 1, PROMPT, FIRST_PROMPT_MS);

    await typeCommand(page, 1, "docker run -d -p 8080:80 nginx");
    // Pulled from the in-page registry, started: the status bar offers the port, and its chip
    // opens the Preview tab on it.
    const chip = await page.waitForSelector('.status .chip[data-port="8080"]', {
      timeout: 600_000,
    });
    await chip.click();
    await page.waitForSelector('#preview-tab[aria-selected="true"]');
    const frame = await previewFrame(page, "/preview/8080/");
    await frame.waitForSelector("text=Welcome to nginx!", { timeout: 60_000 });
    expect(await frame.title()).toBe("Welcome to nginx!");

    // Sandboxed: an opaque origin, no access to the app's storage or the page around it.
    const isolation = await frame.evaluate(() => {
      const tryIt = (f: () => unknown) => {
        try {
          f();
          return "open";
        } catch {
          return "blocked";
        }
      };
      return {
        origin: self.origin,
        localStorage: tryIt(() => localStorage.length),
        indexedDB: tryIt(() => indexedDB.open("x")),
        parent: tryIt(() => parent.document.title),
      };
    });
    expect(isolation).toEqual({
      origin: "null",
      localStorage: "blocked",
      indexedDB: "blocked",
      parent: "blocked",
    });

    // A page with a stylesheet and a script beside it (like the lessons' game) loads whole.
    await putFile(page, "style.css", "h1 { color: rgb(1, 2, 3); }");
    await putFile(page, "data.json", '{"msg": "fetched from the guest"}');
    await putFile(
      page,
      "app.js",
      'document.getElementById("out").textContent = "script ran";\n' +
        'fetch("data.json").then((r) => r.json()).then((d) => (document.getElementById("got").textContent = d.msg));',
    );
    await putFile(
      page,
      "index.html",
      '<!doctype html><title>Game</title><link rel="stylesheet" href="style.css"><h1>Game</h1><p id="out"></p><p id="got"></p><script src="app.js"></script>',
    );
    const address = page.locator("#preview-panel .address input");
    await address.fill("/g/");
    await address.press("Enter");
    const game = await previewFrame(page, "/preview/8080/g/");
    await game.waitForSelector("text=script ran", { timeout: 60_000 });
    expect(await game.$eval("h1", (h) => getComputedStyle(h).color)).toBe("rgb(1, 2, 3)");
    // The page's own fetch() reaches the guest through the app around the frame.
    await game.waitForSelector("text=fetched from the guest", { timeout: 60_000 });

    // "Open in a new tab" is the same route, served by this page's machine.
    const href = await page.getAttribute("#preview-panel a.open", "href");
    expect(href).toBe("/preview/8080/g/");
    const tab = await app.browser.context.newPage();
    await tab.goto(new URL(href!, app.server.url).href);
    await tab.waitForSelector("text=script ran", { timeout: 60_000 });
    await tab.close();

    // `docker stop`: the chip goes away and the preview says the server is gone.
    const prompts = await promptCount(page, 1);
    await typeCommand(page, 1, "docker stop $(docker ps -q --filter publish=8080)");
    await page.waitForFunction(
      (n) => {
        const rows = document.querySelector("#terminal-panel-1 .xterm-rows");
        const text = rows ? [...rows.children].map((r) => r.textContent ?? "").join("\n") : "";
        return text.split("\n").filter((l) => /\S+@\S+:\S*[#$]/.test(l)).length > n;
      },
      prompts,
      { timeout: 120_000, polling: 100 },
    );
    await page.click("#preview-tab");
    const message = await page.waitForSelector('[data-testid="preview-message"]', {
      timeout: 30_000,
    });
    expect(await message.textContent()).toContain("has stopped");
    expect(await page.$('.status .chip[data-port="8080"]')).toBeNull();
    expect(await page.$("#preview-panel iframe")).toBeNull();

    // Reload asks the guest again: refused, still a clear message.
    await page.click("#preview-panel .reload");
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="preview-message"]')?.textContent?.includes("stopped"),
      undefined,
      { timeout: 30_000 },
    );
  }, 600_000);
});
