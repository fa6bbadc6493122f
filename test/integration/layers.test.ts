// The layer model against the real guest: the learner pulls httpd and builds FROM it in a
// terminal; the live feed (driven by the engine's real events) must show httpd's layers shared
// by both images and exactly one new layer on top, and each container's writable layer.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentOf, DockerEngine } from "../../src/engine/index.ts";
import { LayersFeed } from "../../src/layers/live.ts";
import type { LayerPicture } from "../../src/layers/model.ts";
import { projectRoot } from "../../src/vm/node.ts";
import { attachRegistry } from "../../src/vm/registry/attach.ts";
import { fileBlobFetcher, type BundledIndex } from "../../src/vm/registry/bundled.ts";
import type { V86Bus } from "../../src/vm/registry/server.ts";
import { MemoryStore } from "../../src/vm/registry/store.ts";
import { startGuest, type Guest } from "../helpers/guest.ts";

const imagesDir = path.join(projectRoot, "images-out");
let guest: Guest;
let feed: LayersFeed;

/** Resolves with the first published picture that satisfies `test`; fails loudly after `timeoutMs`. */
function picture<T>(
  test: (p: LayerPicture) => T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = (p: LayerPicture | undefined) => {
      const v = p && test(p);
      if (!v) return false;
      off();
      offError();
      clearTimeout(timer);
      resolve(v);
      return true;
    };
    const off = feed.onUpdate((u) => check(u.picture));
    const offError = feed.onError((e) => console.error(`[layers] read failed: ${e}`));
    const timer = setTimeout(() => {
      off();
      offError();
      const names = feed.picture?.stacks.map((s) => s.name).join(", ");
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; images: ${names}`));
    }, timeoutMs);
    check(feed.picture);
  });
}

beforeAll(async () => {
  const index = JSON.parse(
    fs.readFileSync(path.join(imagesDir, "index.json"), "utf8"),
  ) as BundledIndex;
  guest = await startGuest();
  attachRegistry(guest.machine.emulator as unknown as V86Bus, {
    store: new MemoryStore(),
    index,
    fetchBlob: fileBlobFetcher(imagesDir, (p) => fs.promises.readFile(p)),
  });
  feed = new LayersFeed(new DockerEngine(agentOf(guest.machine)));
  feed.setActive(true);
});

afterAll(async () => {
  feed?.dispose();
  await guest?.dispose();
});

describe("the layers of real images", { timeout: 900_000 }, () => {
  it("pull httpd, build FROM httpd with a COPY: the base layers are shared, one layer is new", async () => {
    const term = guest.terminal(1);
    const pull = await term.run("docker pull httpd", 600_000);
    expect(pull.exit, pull.output).toBe(0);
    const httpd = await picture(
      (p) => p.stacks.find((s) => s.tags.includes("httpd:latest")),
      10_000,
      "httpd in the picture",
    );
    expect(httpd.layers.length).toBeGreaterThan(0);
    for (const layer of httpd.layers) expect(layer.label, layer.createdBy).not.toBe("");

    const setup = await guest.machine.exec([
      "sh",
      "-c",
      "mkdir -p /root/site && cd /root/site && echo '<h1>My site</h1>' > index.html && " +
        "printf 'FROM httpd\\nCOPY index.html /usr/local/apache2/htdocs/\\nEXPOSE 80\\n' > Dockerfile",
    ]);
    expect(setup.exit, setup.stderr).toBe(0);
    const build = await term.run("docker build -t my-site /root/site", 600_000);
    expect(build.exit, build.output).toBe(0);

    const site = await picture(
      (p) => p.stacks.find((s) => s.tags.includes("my-site:latest")),
      10_000,
      "my-site in the picture",
    );
    const base = feed.picture!.stacks.find((s) => s.tags.includes("httpd:latest"))!;
    // Exactly one layer more than httpd (EXPOSE made none), the lower ones the very same layers.
    expect(site.layers).toHaveLength(base.layers.length + 1);
    site.layers.slice(0, -1).forEach((layer, i) => {
      expect(layer).toBe(base.layers[i]);
      expect(layer.images).toEqual(expect.arrayContaining([site.id, base.id]));
    });
    const top = site.layers.at(-1)!;
    expect(top.images).toEqual([site.id]);
    expect(top.label).toMatch(/^COPY .*\/usr\/local\/apache2\/htdocs\/$/);
    expect(top.size).toBeGreaterThan(0);

    // The new layer's own files, read from its directory in the guest.
    expect(top.dir).toMatch(/^\/var\/lib\/docker\/overlay2\/\w+\/diff$/);
    const files = await feed.reader.files(top.dir!);
    expect(files.entries.map((f) => f.path)).toContain("usr/local/apache2/htdocs/index.html");
    expect(files.entries.find((f) => f.path.endsWith("index.html"))?.size).toBe(17);
  });

  it("a container gets a writable layer listing what it added, changed and deleted", async () => {
    const term = guest.terminal(1);
    const run = await term.run("docker run -d --name web my-site", 300_000);
    expect(run.exit, run.output).toBe(0);
    const exec = await term.run(
      "docker exec web sh -c 'echo hi > /usr/local/apache2/htdocs/new.html && rm /usr/local/apache2/htdocs/index.html'",
      300_000,
    );
    expect(exec.exit, exec.output).toBe(0);
    const web = await picture(
      (p) =>
        p.stacks
          .find((s) => s.tags.includes("my-site:latest"))
          ?.containers.find(
            (c) =>
              c.name === "web" &&
              c.changes.some((ch) => ch.path === "/usr/local/apache2/htdocs/new.html"),
          ),
      10_000,
      "web's writable layer with new.html",
    );
    expect(web.changes).toEqual(
      expect.arrayContaining([
        { path: "/usr/local/apache2/htdocs/new.html", kind: "A" },
        { path: "/usr/local/apache2/htdocs/index.html", kind: "D" },
        { path: "/usr/local/apache2/htdocs", kind: "C" },
      ]),
    );

    const rm = await term.run("docker rm -f web && docker rmi my-site", 300_000);
    expect(rm.exit, rm.output).toBe(0);
    await picture(
      (p) => !p.stacks.some((s) => s.tags.includes("my-site:latest")) && p,
      10_000,
      "my-site gone from the picture",
    );
  });
});
