// The Layers tab in the real page: after the learner pulls httpd and runs `docker build` on a
// `FROM httpd` Dockerfile in the terminal, the panel shows the new layer on top of the layers
// it shares with httpd, and the layer's details and files can be read with the keyboard.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { PROMPT, typeCommand, waitForPhase, waitForText, FIRST_PROMPT_MS } from "./harness.ts";
import { appSession } from "./session.ts";

const app = appSession();
/** my-site's layers as the picture drew them, for the table view to match. */
let siteLayers: DrawnLayer[] = [];

interface DrawnLayer {
  depth: number;
  key: string;
  label: string;
  shared: boolean;
}

/** The layer blocks the panel draws for one image, bottom-up. */
async function drawnLayers(page: Page, image: string): Promise<DrawnLayer[]> {
  return page.$$eval(`#layers-panel g[data-kind="layer"][data-image="${image}"]`, (nodes) =>
    nodes
      .map((n) => ({
        depth: Number(n.getAttribute("data-depth")),
        key: n.getAttribute("data-layer-key") ?? "",
        label: n.getAttribute("data-label") ?? "",
        shared: n.getAttribute("data-shared") === "true",
      }))
      .sort((a, b) => a.depth - b.depth),
  );
}

// A pull in the emulator takes minutes (layer extraction onto the emulated disk dominates).
describe("the Layers tab", { timeout: 900_000 }, () => {
  it("shows a docker build's new layer on top of the layers it shares with httpd", async () => {
    const { page } = app.browser;
    await page.goto(app.server.url);
    await waitForPhase(page, "ready", 180_000);
    await waitForText(page, 1, PROMPT, FIRST_PROMPT_MS);

    await typeCommand(page, 1, "docker pull httpd");
    await waitForText(
      page,
      1,
      /Status: (Downloaded newer image|Image is up to date) for httpd/,
      600_000,
    );
    await typeCommand(
      page,
      1,
      "mkdir -p /root/site && cd /root/site && echo '<h1>My site</h1>' > index.html && printf 'FROM httpd\\nCOPY index.html /usr/local/apache2/htdocs/\\n' > Dockerfile && docker build -t my-site .",
    );
    await waitForText(page, 1, /Successfully tagged my-site:latest/, 600_000);

    await page.click("#layers-tab");
    await page.waitForSelector(`#layers-panel g[data-kind="layer"][data-image="my-site:latest"]`, {
      timeout: 30_000,
    });
    const httpd = await drawnLayers(page, "httpd:latest");
    const site = await drawnLayers(page, "my-site:latest");
    expect(httpd.length).toBeGreaterThan(0);
    expect(site).toHaveLength(httpd.length + 1);
    siteLayers = site;
    // The lower layers are httpd's own, drawn as shared; the top one is the COPY, only here.
    site.slice(0, -1).forEach((layer, i) => {
      expect(layer.key).toBe(httpd[i]!.key);
      expect(layer.shared).toBe(true);
    });
    const top = site.at(-1)!;
    expect(top.shared).toBe(false);
    expect(top.label).toMatch(/^COPY .*\/usr\/local\/apache2\/htdocs\/$/);

    // Shared layers line up: same height on the page in both stacks.
    const yOf = (image: string, depth: number) =>
      page
        .locator(`#layers-panel g[data-image="${image}"][data-depth="${depth}"] rect`)
        .getAttribute("y");
    expect(await yOf("my-site:latest", 0)).toBe(await yOf("httpd:latest", 0));
  });

  it("selects the new layer with the keyboard and lists its files", async () => {
    const { page } = app.browser;
    const site = await drawnLayers(page, "my-site:latest");
    const topDepth = site.length - 1;
    await page.focus(`#layers-panel g[data-image="my-site:latest"][data-depth="0"]`);
    for (let i = 0; i < topDepth; i++) await page.keyboard.press("ArrowUp");
    const focused = await page.evaluate(() => document.activeElement?.getAttribute("data-depth"));
    expect(Number(focused)).toBe(topDepth);
    await page.keyboard.press("Enter");
    const details = page.locator("#layers-panel .details");
    await details.getByText("Created by").waitFor({ timeout: 10_000 });
    expect(await details.locator(".created-by").textContent()).toMatch(/COPY/);
    await details.locator(".tree li", { hasText: "index.html" }).waitFor({ timeout: 60_000 });
  });

  it("offers the same data as tables for screen readers", async () => {
    const { page } = app.browser;
    await page.getByRole("radio", { name: "Table" }).click();
    const table = page.locator(`#layers-panel table[data-image="my-site:latest"]`);
    await table.waitFor({ timeout: 10_000 });
    const rows = table.locator("tbody tr");
    // Top layer first, as `docker history` lists them.
    expect(await rows.count()).toBe(siteLayers.length);
    expect(await rows.first().getAttribute("data-label")).toBe(siteLayers.at(-1)!.label);
    expect(await rows.first().textContent()).toMatch(/only this image/);
    expect(await rows.last().textContent()).toMatch(/httpd:latest/);
  });
});
