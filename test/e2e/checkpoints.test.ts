import { describe, expect, it } from "vitest";
import {
  PROMPT,
  terminalText,
  typeCommand,
  waitForPhase,
  waitForResumeSave,
  waitForText,
  FIRST_PROMPT_MS,
} from "./harness.ts";
import { appSession } from "./session.ts";

// Checkpoints and resume, on the real guest: what a named checkpoint holds comes back after it
// was deleted in the guest, and a reload continues where the learner left off.
const app = appSession();

let marks = 0;
/** Runs a command, then waits for a fresh marker line so old screen text cannot match. */
async function run(command: string, expect: RegExp = /.*/, timeoutMs = 240_000) {
  const mark = `done-${++marks}`;
  await typeCommand(app.browser.page, 1, `${command}; echo ${mark.replace("-", "-''")}`);
  const text = await waitForText(app.browser.page, 1, new RegExp(`^${mark}\\s*$`, "m"), timeoutMs);
  const out = text.slice(text.lastIndexOf(command));
  if (!expect.test(out)) throw new Error(`\`${command}\` printed:\n${out}`);
  return out;
}

describe("checkpoints", () => {
  it("saves a named checkpoint and brings back what was removed after it", async () => {
    const { page } = app.browser;
    await page.goto(app.server.url);
    await waitForPhase(page, "ready", 180_000);
    await waitForText(page, 1, PROMPT, FIRST_PROMPT_MS);
    await run("docker volume create keepvol && echo kept > /root/marker.txt", /keepvol/);

    await page.click('button[data-action="checkpoints"]');
    await page.fill("#checkpoint-name", "with keepvol");
    await page.click('dialog[open] button[type="submit"]');
    await page.waitForSelector('[data-checkpoint="named:with keepvol"]', { timeout: 60_000 });
    await page.click("dialog[open] .buttons button");

    await run("docker volume rm keepvol && rm /root/marker.txt", /keepvol/);
    expect(await run("docker volume ls -q")).not.toMatch(/^keepvol/m);

    await page.click('button[data-action="checkpoints"]');
    const restore = '[data-checkpoint="named:with keepvol"] button[data-action="restore"]';
    await page.click(restore);
    await page.click(restore); // the second press confirms
    await waitForPhase(page, "restoring", 10_000);
    await waitForPhase(page, "ready", 120_000);
    expect(await page.locator("dialog[open]").count()).toBe(0);
    await typeCommand(page, 1, "");
    expect(await run("docker volume ls -q; cat /root/marker.txt")).toMatch(/^keepvol\s*\n+kept/m);
  }, 600_000);

  it("continues where the learner left off after a reload, until 'Start fresh'", async () => {
    const { page } = app.browser;
    const before = Date.now();
    await run("docker volume create resumevol", /resumevol/);
    // Saved by itself once the terminal is quiet.
    await waitForResumeSave(page, before);
    await page.reload();
    await waitForPhase(page, "ready", 120_000);
    await page.waitForSelector('[data-testid="resumed"]', { timeout: 10_000 });
    await waitForText(page, 1, PROMPT, 30_000).catch(() => typeCommand(page, 1, ""));
    expect(await run("docker volume ls -q")).toMatch(/^resumevol/m);

    await page.click('[data-testid="resumed"] button');
    await page.waitForSelector("dialog[open]");
    await page.click("dialog[open] button.danger.solid");
    await waitForPhase(page, "restoring", 10_000);
    await waitForPhase(page, "ready", 120_000);
    await typeCommand(page, 1, "");
    expect(await run("docker volume ls -q")).not.toMatch(/resumevol|keepvol/);

    // What was typed since is the new "where you left off"; the dropped session stays dropped.
    await page.reload();
    await waitForPhase(page, "ready", 120_000);
    await waitForText(page, 1, PROMPT, 30_000).catch(() => typeCommand(page, 1, ""));
    expect(await run("docker volume ls -q")).not.toMatch(/resumevol/);
  }, 600_000);

  it("starts a lesson step over: the machine goes back to how it was when the step began", async () => {
    const { page } = app.browser;
    const pane = '[data-testid="lesson-pane"]';
    const step = (id: string) => `${pane} article[data-step="${id}"]`;
    // A fresh page, whatever the tests before left on screen.
    await page.goto(app.server.url);
    await waitForPhase(page, "ready", 180_000);
    await waitForText(page, 1, PROMPT, 30_000).catch(() => typeCommand(page, 1, ""));
    await page.click(`${pane} button[data-lesson="what-is-docker"]`);
    await page.waitForSelector(`${step("client-version")}[data-status="current"]`);
    // Typed alone: the step's check looks for this very command line.
    await typeCommand(page, 1, "docker -v");
    await page
      .waitForSelector(`${step("client-version")}[data-status="done"]`, { timeout: 180_000 })
      .catch(async (error: unknown) => {
        const lesson = await page.locator(pane).innerText();
        const terminal = await terminalText(page, 1);
        throw new Error(`step 1 not done; lesson pane:\n${lesson}\n--- terminal:\n${terminal}`, {
          cause: error,
        });
      });
    await page.click(`${pane} button[data-action="next"]`);
    // The step's start is kept once the terminal is quiet; then the button appears.
    const restartStep = `${step("version")} button[data-action="restart-step"]`;
    await page.waitForSelector(restartStep, { timeout: 120_000 });
    await run("docker volume create stepvol", /stepvol/);
    await page.click(restartStep);
    await page.click(restartStep); // the second press confirms
    await waitForPhase(page, "restoring", 10_000);
    await waitForPhase(page, "ready", 120_000);
    await typeCommand(page, 1, "");
    expect(await run("docker volume ls -q")).not.toMatch(/stepvol/);
    // Lesson progress is not part of the machine: step 1 is still done.
    expect(await page.getAttribute(`${pane} [data-step-nav="client-version"]`, "data-status")).toBe(
      "done",
    );
  }, 600_000);
});
