import { afterEach, describe, expect, it, vi } from "vitest";
import { DockerEngine } from "../../src/engine/docker.ts";
import type { HistoryItem } from "../../src/engine/types.ts";
import { benchLayersRender } from "../../src/layers/bench.ts";
import { blockHeight, layoutPicture, type LayerBlock } from "../../src/layers/layout.ts";
import { LayersFeed, type LayersUpdate } from "../../src/layers/live.ts";
import {
  addedLayers,
  buildPicture,
  layerDirs,
  layerSteps,
  shortLabel,
  type EngineSnapshot,
  type ImageRecord,
} from "../../src/layers/model.ts";
import { CONFIGS_SCRIPT, parseFiles } from "../../src/layers/source.ts";
import { RecordedAgent, loadFixture, type AgentFixture } from "../fixtures/agent/recorded-agent.ts";

// Hand-made engine data in the engine's own shapes: httpd (three layers, metadata steps in
// between), my-site built FROM httpd with one COPY, and an imported busybox.
const d = (c: string) => `sha256:${c.repeat(64)}`;
const step = (CreatedBy: string, Size: number, Created = 1): HistoryItem => ({
  Id: "<missing>",
  Created,
  CreatedBy,
  Tags: null,
  Size,
  Comment: "",
});

const httpdHistory = [
  step('/bin/sh -c #(nop)  CMD ["httpd-foreground"]', 0, 4),
  step("/bin/sh -c #(nop)  EXPOSE 80", 0, 4),
  step("/bin/sh -c set -eux; apt-get install -y apache2", 4_200_000, 3),
  step("/bin/sh -c #(nop)  ENV HTTPD_PREFIX=/usr/local/apache2", 0, 2),
  step("/bin/sh -c mkdir -p /usr/local/apache2", 0, 2),
  step(
    "/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef in / ",
    28_000_000,
    1,
  ),
];
const mySiteHistory = [
  step("/bin/sh -c #(nop)  EXPOSE 80", 0, 6),
  step(
    "/bin/sh -c #(nop) COPY file:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210 in /usr/local/apache2/htdocs/ ",
    17,
    5,
  ),
  ...httpdHistory,
];

function image(
  id: string,
  tags: string[],
  layers: string[],
  history: HistoryItem[],
): [EngineSnapshot["images"][number], ImageRecord] {
  const dirs = layers.map((_, i) => `/var/lib/docker/overlay2/${id[7]}${i}/diff`).reverse();
  return [
    {
      Id: id,
      ParentId: "",
      RepoTags: tags,
      RepoDigests: null,
      Created: 1,
      Size: 0,
      SharedSize: -1,
      Labels: null,
      Containers: 0,
    },
    {
      inspect: {
        Id: id,
        RepoTags: tags,
        RepoDigests: [],
        Parent: "",
        Comment: "",
        Created: "",
        Config: null,
        Architecture: "386",
        Os: "linux",
        Size: 0,
        RootFS: { Type: "layers", Layers: layers },
        GraphDriver: {
          Name: "overlay2",
          Data: {
            UpperDir: dirs[0]!,
            ...(dirs.length > 1 ? { LowerDir: dirs.slice(1).join(":") } : {}),
          },
        },
      },
      history,
    },
  ];
}

const HTTPD = d("a");
const SITE = d("b");
const BUSYBOX = d("c");
const httpdLayers = [d("1"), d("2"), d("3")];

function snapshot(): EngineSnapshot {
  const entries = [
    image(SITE, ["my-site:latest"], [...httpdLayers, d("4")], mySiteHistory),
    image(BUSYBOX, ["busybox:latest"], [d("5")], [step("Imported from -", 2_222_080)]),
    image(HTTPD, ["httpd:latest", "httpd:2.4"], httpdLayers, httpdHistory),
  ];
  return {
    images: entries.map(([s]) => s),
    records: new Map(entries.map(([s, r]) => [s.Id, r])),
    containers: [
      {
        summary: {
          Id: d("e"),
          Names: ["/web"],
          Image: "my-site",
          ImageID: SITE,
          Command: "httpd-foreground",
          Created: 1,
          Ports: [],
          Labels: null,
          State: "running",
          Status: "Up 1 second",
          Mounts: [],
        },
        changes: [
          { Path: "/usr/local/apache2/logs", Kind: 0 },
          { Path: "/usr/local/apache2/htdocs/index.html", Kind: 2 },
          { Path: "/usr/local/apache2/htdocs/new.html", Kind: 1 },
        ],
      },
    ],
  };
}

describe("layer model", () => {
  it("groups layers shared by images: httpd's layers are stored once and my-site adds one", () => {
    const picture = buildPicture(snapshot());
    expect(picture.layers.size).toBe(5);
    const [httpd, site, busybox] = picture.stacks;
    // The base sorts before what is built on it; the unrelated image after.
    expect(picture.stacks.map((s) => s.name)).toEqual([
      "httpd:latest",
      "my-site:latest",
      "busybox:latest",
    ]);
    expect(httpd!.layers.map((l) => l.diffId)).toEqual(httpdLayers);
    expect(site!.layers.slice(0, 3)).toEqual(httpd!.layers);
    for (const layer of httpd!.layers) {
      expect(layer.images.sort()).toEqual([HTTPD, SITE].sort());
    }
    const top = site!.layers[3]!;
    expect(top.images).toEqual([SITE]);
    expect(top.label).toBe("COPY file:fedcba987654 /usr/local/apache2/htdocs/");
    expect(top.size).toBe(17);
    expect(busybox!.layers).toHaveLength(1);
    // Shared layers keep one colour; different layers get different ones.
    const colours = [...picture.layers.values()].map((l) => l.colour);
    expect(new Set(colours).size).toBe(5);
  });

  it("matches history to layers bottom-up, skipping the steps that made no layer", () => {
    const picture = buildPicture(snapshot());
    const httpd = picture.stacks[0]!;
    expect(httpd.layers.map((l) => [l.label, l.size])).toEqual([
      ["ADD file:0123456789ab /", 28_000_000],
      ["RUN mkdir -p /usr/local/apache2", 0],
      ["RUN set -eux; apt-get install -y apache2", 4_200_000],
    ]);
  });

  it("trusts the config's empty_layer flags over guessing from the command", () => {
    const record: ImageRecord = {
      inspect: snapshot().records.get(HTTPD)!.inspect,
      history: [
        step("/bin/sh -c true", 0),
        step("/bin/sh -c #(nop)  ENV A=1", 0),
        step("ADD x", 5),
      ],
      configHistory: [{ empty_layer: false }, { empty_layer: true }, { empty_layer: true }],
    };
    expect(layerSteps(record).map((s) => s.CreatedBy)).toEqual(["ADD x"]);
    delete record.configHistory;
    expect(layerSteps(record).map((s) => s.CreatedBy)).toEqual(["ADD x", "/bin/sh -c true"]);
  });

  it("shortens history lines to what a Dockerfile says", () => {
    expect(shortLabel('/bin/sh -c #(nop)  CMD ["httpd-foreground"]')).toBe(
      'CMD ["httpd-foreground"]',
    );
    expect(shortLabel("/bin/sh -c apt-get update")).toBe("RUN apt-get update");
    expect(shortLabel("|2 A=1 B=two /bin/sh -c make")).toBe("RUN make");
    expect(shortLabel("RUN /bin/sh -c make # buildkit")).toBe("RUN /bin/sh -c make");
    expect(shortLabel("COPY index.html /usr/local/apache2/htdocs/ # buildkit")).toBe(
      "COPY index.html /usr/local/apache2/htdocs/",
    );
    expect(shortLabel(`/bin/sh -c ${"x".repeat(200)}`, 20)).toHaveLength(20);
  });

  it("draws each container's writable layer on its image, with A/C/D changes sorted by path", () => {
    const site = buildPicture(snapshot()).stacks[1]!;
    expect(site.containers).toHaveLength(1);
    const web = site.containers[0]!;
    expect(web.name).toBe("web");
    expect(web.changes).toEqual([
      { path: "/usr/local/apache2/htdocs/index.html", kind: "D" },
      { path: "/usr/local/apache2/htdocs/new.html", kind: "A" },
      { path: "/usr/local/apache2/logs", kind: "C" },
    ]);
  });

  it("keeps containers of a removed image apart instead of dropping them", () => {
    const s = snapshot();
    s.containers[0]!.summary.ImageID = d("f");
    const picture = buildPicture(s);
    expect(picture.orphans.map((c) => c.name)).toEqual(["web"]);
  });

  it("finds each layer's overlay2 directory from the image's upper and lower dirs", () => {
    const record = snapshot().records.get(SITE)!;
    expect(layerDirs(record.inspect)).toEqual([
      "/var/lib/docker/overlay2/b0/diff",
      "/var/lib/docker/overlay2/b1/diff",
      "/var/lib/docker/overlay2/b2/diff",
      "/var/lib/docker/overlay2/b3/diff",
    ]);
  });

  it("tells which layers appeared and went between two pictures", () => {
    const before = buildPicture(snapshot());
    const s = snapshot();
    s.images = s.images.filter((i) => i.Id !== SITE);
    const after = buildPicture(s);
    expect([...addedLayers(after, before)]).toEqual([[...httpdLayers, d("4")].join(" ")]);
    expect(addedLayers(before, after).size).toBe(0);
  });
});

describe("layer layout", () => {
  it("lines shared layers up at the same height in every image, bottom-up from one baseline", () => {
    const layout = layoutPicture(buildPicture(snapshot()));
    const [httpd, site] = layout.columns;
    const ys = (c: typeof httpd) =>
      c!.blocks.filter((b): b is LayerBlock => b.kind === "layer").map((b) => [b.y, b.height]);
    expect(ys(site).slice(0, 3)).toEqual(ys(httpd));
    expect(httpd!.blocks[0]!.y + httpd!.blocks[0]!.height).toBe(layout.baseline);
    const writable = site!.blocks.find((b) => b.kind === "writable")!;
    const top = site!.blocks[3]!;
    expect(writable.y + writable.height).toBeLessThan(top.y);
  });

  it("sizes blocks by log(size) with a minimum", () => {
    expect(blockHeight(0)).toBe(blockHeight(500));
    expect(blockHeight(28_000_000)).toBeGreaterThan(blockHeight(4_200_000));
    expect(blockHeight(28_000_000)).toBeLessThan(blockHeight(0) * 3);
  });

  it("computes 30 images × 15 layers well inside a frame (the bench's own check)", () => {
    const r = benchLayersRender(3);
    expect(r.layers_render_blocks).toBe(30 * 15 + 6);
  });
});

describe("layer files", () => {
  it("parses the guest's listing, whiteouts as deletions, with the total", () => {
    const files = parseFiles(
      "usr\td\t4096\nusr/local/apache2/htdocs/index.html\tf\t17\nold.txt\tc\t0\n#total 9\n",
    );
    expect(files.entries).toEqual([
      { path: "usr", kind: "dir", size: 0 },
      { path: "usr/local/apache2/htdocs/index.html", kind: "file", size: 17 },
      { path: "old.txt", kind: "deleted", size: 0 },
    ]);
    expect(files.total).toBe(9);
    expect(files.truncated).toBe(true);
  });
});

describe("live layers", () => {
  afterEach(() => vi.useRealTimers());

  function recordedEngine(): { agent: RecordedAgent; engine: DockerEngine } {
    const s = snapshot();
    const api: AgentFixture["api"] = {
      "GET /v1.41/images/json": { status: 200, body: s.images },
      "GET /v1.41/containers/json?all=1": { status: 200, body: s.containers.map((c) => c.summary) },
    };
    for (const [id, r] of s.records) {
      api[`GET /v1.41/images/${id}/json`] = { status: 200, body: r.inspect };
      api[`GET /v1.41/images/${id}/history`] = { status: 200, body: r.history };
    }
    for (const c of s.containers)
      api[`GET /v1.41/containers/${c.summary.Id}/changes`] = { status: 200, body: c.changes };
    const agent = new RecordedAgent({ api });
    agent.execHandler = (argv) =>
      argv[2] === CONFIGS_SCRIPT ? { exit: 0, stdout: "[]", stderr: "" } : undefined;
    return { agent, engine: new DockerEngine(agent) };
  }

  const event = (Type: string, Action: string) => ({
    event: "docker" as const,
    data: { Type, Action, Actor: { ID: "x", Attributes: {} }, time: 1, timeNano: 1 },
  });

  it("reads each image once, then only the lists and diffs on later refreshes", async () => {
    const { agent, engine } = recordedEngine();
    const feed = new LayersFeed(engine);
    await feed.refresh();
    const first = agent.requests.length;
    await feed.refresh();
    const second = agent.requests.length - first;
    expect(feed.picture?.stacks).toHaveLength(3);
    // images/json + containers/json + one diff; no inspect/history/config again.
    expect(second).toBe(3);
    feed.dispose();
  });

  it("turns a burst of engine events into one read, no later than the cap after the first", async () => {
    vi.useFakeTimers();
    const { agent, engine } = recordedEngine();
    const feed = new LayersFeed(engine, { debounceMs: 150, maxWaitMs: 600 });
    const updates: LayersUpdate[] = [];
    feed.onUpdate((u) => updates.push(u));
    feed.setActive(true);
    await vi.waitFor(() => expect(updates).toHaveLength(1));

    // A build: events every 100 ms for a second. Without the cap the read would wait for the end.
    for (let i = 0; i < 10; i++) {
      agent.emit(event("container", i % 2 ? "commit" : "create"));
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(updates.length).toBeGreaterThanOrEqual(2);
    await vi.advanceTimersByTimeAsync(1000);
    const afterBurst = updates.length;
    expect(afterBurst).toBeLessThanOrEqual(4);

    // Events that cannot change the picture do nothing.
    agent.emit(event("network", "connect"));
    await vi.advanceTimersByTimeAsync(1000);
    expect(updates).toHaveLength(afterBurst);
    feed.dispose();
  });

  it("a hidden panel does not read, and catches up when shown", async () => {
    vi.useFakeTimers();
    const { agent, engine } = recordedEngine();
    const feed = new LayersFeed(engine);
    agent.emit(event("image", "pull"));
    await vi.advanceTimersByTimeAsync(2000);
    expect(agent.requests).toHaveLength(0);
    const shown = new Promise<LayersUpdate>((resolve) => feed.onUpdate(resolve));
    feed.setActive(true);
    expect((await shown).picture.stacks).toHaveLength(3);
    feed.dispose();
  });
});

describe("layer model on a real guest's answers (recorded by record-layers.ts)", () => {
  type Recording = AgentFixture & {
    exec: Record<string, { exit: number; stdout: string; stderr: string }>;
  };
  const recording = loadFixture("layers-httpd.json") as Recording;
  function recordedFeed() {
    const agent = new RecordedAgent(recording);
    agent.execHandler = (argv) => recording.exec[JSON.stringify(argv)];
    return new LayersFeed(new DockerEngine(agent));
  }

  it("httpd's layers are shared with my-site, which adds one COPY layer (EXPOSE adds none)", async () => {
    const feed = recordedFeed();
    await feed.refresh();
    const picture = feed.picture!;
    const httpd = picture.stacks.find((s) => s.tags.includes("httpd:latest"))!;
    const site = picture.stacks.find((s) => s.tags.includes("my-site:latest"))!;
    expect(httpd.layers.length).toBeGreaterThan(0);
    expect(site.layers).toHaveLength(httpd.layers.length + 1);
    site.layers.slice(0, -1).forEach((layer, i) => {
      expect(layer).toBe(httpd.layers[i]);
      expect(layer.images).toEqual(expect.arrayContaining([httpd.id, site.id]));
      expect(layer.label).not.toBe("");
    });
    const top = site.layers.at(-1)!;
    expect(top.label).toMatch(/^COPY file:[0-9a-f]{12} \/usr\/local\/apache2\/htdocs\/$/);
    expect(top.size).toBe(17);
    expect(top.dir).toMatch(/^\/var\/lib\/docker\/overlay2\/\w+\/diff$/);
    // The httpd stack sits right before what is built on it.
    expect(picture.stacks.indexOf(site)).toBe(picture.stacks.indexOf(httpd) + 1);
    feed.dispose();
  });

  it("web's writable layer shows the file it added and the one it deleted; idle has none", async () => {
    const feed = recordedFeed();
    await feed.refresh();
    const picture = feed.picture!;
    const all = picture.stacks.flatMap((s) => s.containers);
    const web = all.find((c) => c.name === "web")!;
    expect(web.changes).toEqual(
      expect.arrayContaining([
        { path: "/usr/local/apache2/htdocs/new.html", kind: "A" },
        { path: "/usr/local/apache2/htdocs/index.html", kind: "D" },
      ]),
    );
    const idle = all.find((c) => c.name === "idle")!;
    expect(idle.changes).toEqual([]);
    expect(picture.stacks.find((s) => s.containers.includes(idle))?.name).toBe("busybox:latest");
    feed.dispose();
  });

  it("lists the files the COPY layer holds", async () => {
    const feed = recordedFeed();
    await feed.refresh();
    const site = feed.picture!.stacks.find((s) => s.tags.includes("my-site:latest"))!;
    const files = await feed.reader.files(site.layers.at(-1)!.dir!);
    expect(files.entries).toContainEqual({
      path: "usr/local/apache2/htdocs/index.html",
      kind: "file",
      size: 17,
    });
    expect(files.truncated).toBe(false);
    feed.dispose();
  });
});

describe("layer model without the image configs", () => {
  it("still matches the recorded httpd, whose history names commands that made no layer", () => {
    const recording = loadFixture("layers-httpd.json");
    const images = recording.api["GET /v1.41/images/json"]!.body as EngineSnapshot["images"];
    const records = new Map<string, ImageRecord>();
    for (const i of images)
      records.set(i.Id, {
        inspect: recording.api[`GET /v1.41/images/${i.Id}/json`]!.body as ImageRecord["inspect"],
        history: recording.api[`GET /v1.41/images/${i.Id}/history`]!.body as HistoryItem[],
      });
    const picture = buildPicture({ images, records, containers: [] });
    const site = picture.stacks.find((s) => s.tags.includes("my-site:latest"))!;
    expect(site.layers.map((l) => l.size > 0)).toEqual(site.layers.map(() => true));
    expect(site.layers.at(-1)!.label).toMatch(/^COPY /);
    expect(site.layers[0]!.label).toMatch(/debian/);
    const busybox = picture.stacks.find((s) => s.tags.includes("busybox:latest"))!;
    expect(busybox.layers[0]!.label).toBe("Imported from -");
  });
});
