import { describe, expect, it, onTestFinished } from "vitest";
import type { Page } from "playwright-core";
import {
  PROMPT,
  terminalText,
  typeCommand,
  waitForPhase,
  waitForText,
  FIRST_PROMPT_MS,
} from "./harness.ts";
import { appSession } from "./session.ts";

// The lesson pane against the real guest: a learner's command finishes in the terminal, the
// agent reports it, the runner checks it, and the page shows the step done (or why not).
const app = appSession();

const pane = '[data-testid="lesson-pane"]';
const step = (id: string) => `${pane} article[data-step="${id}"]`;
const navPill = (id: string) => `${pane} [data-step-nav="${id}"]`;

/** What the learner sees, for failure messages: the lesson pane and terminal 1. */
async function screen(page: Page): Promise<string> {
  const lesson = await page
    .locator(pane)
    .innerText()
    .catch(() => "(no lesson pane)");
  const terminal = await terminalText(page, 1).catch(() => "(no terminal)");
  return `the lesson pane shows:\n${lesson}\n--- terminal 1 shows:\n${terminal}`;
}

/** Waits for a selector, failing with what the learner sees so a mismatch is readable. */
async function waitFor(page: Page, selector: string, timeoutMs = 60_000): Promise<void> {
  try {
    await page.waitForSelector(selector, { timeout: timeoutMs });
  } catch (error) {
    throw new Error(`${selector} did not appear within ${timeoutMs} ms; ${await screen(page)}`, {
      cause: error,
    });
  }
}

/** Waits until an element's text matches. */
async function waitForTextIn(
  page: Page,
  selector: string,
  pattern: RegExp,
  timeoutMs = 30_000,
): Promise<void> {
  try {
    await page.waitForFunction(
      ({ selector, source }) =>
        new RegExp(source).test(document.querySelector(selector)?.textContent ?? ""),
      { selector, source: pattern.source },
      { timeout: timeoutMs, polling: 100 },
    );
  } catch (error) {
    throw new Error(
      `${selector} never matched ${pattern} in ${timeoutMs} ms; ${await screen(page)}`,
      {
        cause: error,
      },
    );
  }
}

async function ready(page: Page): Promise<void> {
  await waitForPhase(page, "ready", 180_000);
  await waitForText(page, 1, PROMPT, FIRST_PROMPT_MS);
}

describe("guided lessons on the real engine", () => {
  it("lists the built-in lessons and opens lesson 1", async () => {
    const { page } = app.browser;
    await page.goto(app.server.url);
    await waitFor(page, `${pane} button[data-lesson]`);
    expect(await page.locator(`${pane} button[data-lesson]`).count()).toBe(14);
    expect(
      await page.getAttribute(`${pane} button[data-lesson="what-is-docker"]`, "data-status"),
    ).toBe("new");
    await ready(page);
    await page.click(`${pane} button[data-lesson="what-is-docker"]`);
    await waitFor(page, `${step("client-version")}[data-status="current"]`);
    expect(await page.locator(`${pane} #lesson-title`).innerText()).toBe("What Docker is");
    // The checks run once the runner is live: the step lists its check as not passed yet.
    await waitFor(page, `${step("client-version")} [data-check="fail"]`);
  });

  it("explains a wrong command, then turns the step done when the right one finishes", async () => {
    const { page } = app.browser;
    await typeCommand(page, 1, "docker -version");
    await waitFor(page, `${step("client-version")} [data-check="fail"] .why`);
    await waitForTextIn(
      page,
      `${step("client-version")} [data-check="fail"] .why`,
      /your last command was docker -version, exit \d+/,
      // The first docker command after a cold start pages the CLI in from the disk (~30 s).
      120_000,
    );
    expect(await page.locator(`${step("client-version")} .why`).innerText()).toMatch(
      /^No command matching docker \(-v\|--version\) has finished since this step began/,
    );

    await typeCommand(page, 1, "docker -v");
    await waitFor(page, `${step("client-version")}[data-status="done"]`);
    await waitFor(page, `${navPill("client-version")}[data-status="done"]`);
    expect(await page.locator(`${step("client-version")} [data-check="pass"]`).count()).toBe(1);
  });

  it('runs `docker version` with "Run in terminal" and the step goes green', async () => {
    const { page } = app.browser;
    await page.click(`${pane} button[data-action="next"]`);
    await waitFor(page, `${step("version")}[data-status="current"]`);
    await page.click(`${step("version")} button[data-action="run"]`);
    // The command really ran in the learner's terminal against the daemon.
    await waitForText(page, 1, /Server:[\s\S]*Engine:[\s\S]*Version:\s+\d+\.\d+/, 60_000);
    await waitFor(page, `${step("version")}[data-status="done"]`);
    await waitFor(page, `${navPill("version")}[data-status="done"]`);
  });

  it('"Type it for me" types the solution and finishes the lesson', async () => {
    const { page } = app.browser;
    await page.click(`${pane} button[data-action="next"]`);
    await waitFor(page, `${step("info")}[data-status="current"]`);
    await page.click(`${step("info")} button[data-action="hint"]`);
    await waitFor(page, `${step("info")} li.hint`);
    await page.click(`${step("info")} button[data-action="type-solution"]`);
    await waitFor(page, `${step("info")} .solution`);
    await waitFor(page, `${step("info")}[data-status="done"]`, 120_000);
    await waitFor(page, `${pane} .complete`);
  });

  it("keeps the progress after a reload", async () => {
    const { page } = app.browser;
    await page.reload();
    // The open lesson comes back from localStorage, its marks from IndexedDB.
    await waitFor(page, `${navPill("client-version")}[data-status="done"]`);
    for (const id of ["client-version", "version", "info"])
      expect(await page.getAttribute(navPill(id), "data-status")).toBe("done");
    await page.click(`${pane} button[data-action="back"]`);
    await waitFor(page, `${pane} button[data-lesson="what-is-docker"][data-status="completed"]`);
    expect(await page.locator(`${pane} button[data-lesson="what-is-docker"]`).innerText()).toMatch(
      /3 of 3 steps/,
    );
    await ready(page);
  });

  it("follows the language picker", async () => {
    const { page } = app.browser;
    await page.selectOption('select[aria-label="Language"]', "ko");
    onTestFinished(() => page.selectOption("header select", "en").then(() => undefined));
    await waitFor(page, `${pane} button[data-lesson="what-is-docker"]`);
    expect(
      await page.locator(`${pane} button[data-lesson="what-is-docker"] .title`).innerText(),
    ).toBe("Docker란?");
  });

  it("restarts a lesson after a confirm: its marks are cleared", async () => {
    const { page } = app.browser;
    await page.click(`${pane} button[data-lesson="what-is-docker"]`);
    await waitFor(page, `${pane} button[data-action="restart"]:not([disabled])`);
    await page.click(`${pane} button[data-action="restart"]`);
    await page.click('dialog.restart-dialog button[data-action="confirm-restart"]');
    await waitFor(page, `${step("client-version")}[data-status="current"]`);
    await waitFor(page, `${navPill("version")}[data-status="todo"]`);
  });

  it("checks the engine's real state: a container made from hello-world", async () => {
    const { page } = app.browser;
    await page.click(`${pane} button[data-action="back"]`);
    await page.click(`${pane} button[data-lesson="first-container"]`);
    await waitFor(page, `${step("run-hello")}[data-status="current"]`);
    // Before the learner runs it, the container check says what is missing. The check asks the
    // engine, which answers slowly right after the reload above while the warm-up runs (one
    // clean-clone CI run under load took more than 30 s).
    await waitForTextIn(
      page,
      `${step("run-hello")} [data-check="fail"] .why`,
      /No container was made from hello-world/,
      120_000,
    );
    await page.click(`${step("run-hello")} button[data-action="run"]`);
    // The emulator's first container start is slow (about 80 s in the Node replay): runc,
    // the container's first disk blocks and the pull all happen inside it.
    await waitForText(page, 1, /Hello from Docker!/, 300_000);
    await waitFor(page, `${step("run-hello")}[data-status="done"]`, 30_000);
    expect(await page.locator(`${step("run-hello")} [data-check="pass"]`).count()).toBe(2);
    const latency = await page.evaluate(
      () =>
        (globalThis as unknown as { sandbox: { tutorial: { state?: { lastLatencyMs?: number } } } })
          .sandbox.tutorial.state?.lastLatencyMs,
    );
    console.log(`[lessons e2e] last check evaluation took ${latency} ms (trigger → state)`);
  }, 420_000);

  it("shows a malformed teacher pack's problems and keeps the built-in lessons", async () => {
    const { page } = app.browser;
    // A URL predicate, not a glob: the page's own URL contains the pack path in its query.
    await page.route(
      (url) => url.pathname === "/packs/broken.json",
      (route) =>
        route.fulfill({
          contentType: "application/json",
          body: JSON.stringify({ format: 1, name: "Broken", lessons: [{ id: "Not A Slug" }] }),
        }),
    );
    await page.goto(`${app.server.url}?pack=/packs/broken.json`);
    await waitFor(page, `${pane} [data-pack-error]`);
    const text = await page.locator(`${pane} [data-pack-error]`).innerText();
    expect(text).toMatch(/\/packs\/broken\.json:1: /);
    expect(text).toMatch(/built-in lessons still work/);
    await page.click(`${pane} button[data-action="back"]`);
    await waitFor(page, `${pane} button[data-lesson]`);
    expect(await page.locator(`${pane} button[data-lesson]`).count()).toBe(14);
  });
});
