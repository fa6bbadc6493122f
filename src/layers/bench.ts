// Figures for `npm run bench`. layers_render_ms: the work the Layers panel does per update for
// a big machine — 30 images of 15 layers (sharing bases the way real images do) with
// containers — from engine data to the placed blocks and their labels; it runs without a DOM,
// so the browser's own SVG paint is not in it. layers_update_ms: event → new picture on a
// real guest.
import { agentOf, type AgentSource } from "../engine/agent.ts";
import { DockerEngine } from "../engine/docker.ts";
import type { HistoryItem, ImageSummary } from "../engine/types.ts";
import { LayersFeed } from "./live.ts";
import { fit, formatSize, layoutPicture } from "./layout.ts";
import {
  buildPicture,
  type ContainerRecord,
  type EngineSnapshot,
  type ImageRecord,
} from "./model.ts";

const hex = (n: number, salt: string) => {
  let s = "";
  let x = n * 2654435761 + salt.length * 40503;
  while (s.length < 64) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += x.toString(16).padStart(8, "0");
  }
  return `sha256:${s.slice(0, 64)}`;
};

/** A synthetic engine: images in families of three that share their lower layers. */
export function syntheticSnapshot(images = 30, layersPerImage = 15): EngineSnapshot {
  const summaries: ImageSummary[] = [];
  const records = new Map<string, ImageRecord>();
  const containers: ContainerRecord[] = [];
  for (let i = 0; i < images; i++) {
    const family = Math.floor(i / 3);
    const shared = Math.floor(layersPerImage * 0.6);
    const diffIds = Array.from({ length: layersPerImage }, (_, d) =>
      d < shared ? hex(family * 100 + d, "base") : hex(i * 100 + d, "own"),
    );
    const id = hex(i, "image");
    const history: HistoryItem[] = [];
    diffIds.forEach((_, d) => {
      history.unshift({
        Id: "<missing>",
        Created: 1700000000 + d,
        CreatedBy: `/bin/sh -c apt-get install -y package-${d} && rm -rf /var/lib/apt/lists/*`,
        Tags: null,
        Size: 1000 * 10 ** (d % 6),
        Comment: "",
      });
      history.unshift({
        Id: "<missing>",
        Created: 1700000000 + d,
        CreatedBy: `/bin/sh -c #(nop)  ENV STEP=${d}`,
        Tags: null,
        Size: 0,
        Comment: "",
      });
    });
    summaries.push({
      Id: id,
      ParentId: "",
      RepoTags: [`image-${i}:latest`],
      RepoDigests: null,
      Created: 1700000000 + i,
      Size: 0,
      SharedSize: -1,
      Labels: null,
      Containers: 0,
    });
    records.set(id, {
      inspect: {
        Id: id,
        RepoTags: [`image-${i}:latest`],
        RepoDigests: [],
        Parent: "",
        Comment: "",
        Created: "",
        Config: null,
        Architecture: "386",
        Os: "linux",
        Size: 0,
        RootFS: { Type: "layers", Layers: diffIds },
      },
      history,
    });
    if (i % 5 === 0)
      containers.push({
        summary: {
          Id: hex(i, "container"),
          Names: [`/app-${i}`],
          Image: `image-${i}`,
          ImageID: id,
          Command: "sh",
          Created: 0,
          Ports: [],
          Labels: null,
          State: "running",
          Status: "Up",
          Mounts: [],
        },
        changes: [
          { Path: "/tmp", Kind: 0 },
          { Path: "/tmp/a", Kind: 1 },
          { Path: "/etc/motd", Kind: 2 },
        ],
      });
  }
  return { images: summaries, records, containers };
}

export interface LayersRenderResult {
  layers_render_ms: number;
  layers_render_ms_max: number;
  layers_render_blocks: number;
}

/** Median over `runs` of model + layout + every label string, after a few warm-up rounds. */
export function benchLayersRender(runs = 50, images = 30, layersPerImage = 15): LayersRenderResult {
  const snapshot = syntheticSnapshot(images, layersPerImage);
  const samples: number[] = [];
  let blocks = 0;
  for (let i = 0; i < runs + 5; i++) {
    const t = performance.now();
    const layout = layoutPicture(buildPicture(snapshot));
    blocks = 0;
    let chars = 0;
    for (const column of layout.columns)
      for (const block of column.blocks) {
        blocks++;
        if (block.kind === "layer")
          chars +=
            fit(block.layer.label, block.width - 16).length + formatSize(block.layer.size).length;
      }
    if (chars === 0) throw new Error("no labels were made");
    if (i >= 5) samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    layers_render_ms: round(samples[Math.floor(samples.length / 2)]!),
    layers_render_ms_max: round(samples.at(-1)!),
    layers_render_blocks: blocks,
  };
}

export interface LayersUpdateOptions {
  /** The machine (Node Machine or worker client) with a `busybox` image in its engine. */
  machine: AgentSource;
  runs?: number;
  signal?: AbortSignal;
}

export interface LayersUpdateResult {
  layers_update_ms: number;
  layers_update_ms_max: number;
  layers_update_samples_ms: number[];
}

/**
 * layers_update_ms on a real guest: from the engine's `tag` event reaching the host to the
 * live feed publishing a picture with the new tag (debounce + reads + model), median of runs.
 */
export async function benchLayersUpdate(options: LayersUpdateOptions): Promise<LayersUpdateResult> {
  const engine = new DockerEngine(agentOf(options.machine));
  const feed = new LayersFeed(engine);
  const samples: number[] = [];
  try {
    await feed.refresh();
    feed.setActive(true);
    for (let i = 0; i < (options.runs ?? 5); i++) {
      options.signal?.throwIfAborted();
      const tag = `layers-probe:${i}`;
      let eventAt = 0;
      const off = options.machine.on((e) => {
        if (
          e.type === "agent" &&
          e.event.event === "docker" &&
          e.event.data.Action === "tag" &&
          [tag, `docker.io/library/${tag}`].includes(e.event.data.Actor.Attributes.name ?? "")
        )
          eventAt ||= performance.now();
      });
      const seen = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${tag} never reached the picture`)),
          30_000,
        );
        const offUpdate = feed.onUpdate(({ picture }) => {
          if (!picture.stacks.some((s) => s.tags.includes(tag))) return;
          clearTimeout(timer);
          offUpdate();
          resolve(performance.now());
        });
      });
      const r = await engine.exec(["docker", "tag", "busybox", tag]);
      if (r.exit !== 0) throw new Error(`docker tag: ${r.stderr}`);
      const shownAt = await seen;
      off();
      if (!eventAt) throw new Error(`no tag event for ${tag}`);
      samples.push(Math.round(shownAt - eventAt));
    }
  } finally {
    feed.dispose();
    const tags = Array.from({ length: options.runs ?? 5 }, (_, i) => `layers-probe:${i}`);
    await engine.exec(["docker", "rmi", ...tags]).catch(() => undefined);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    layers_update_ms: sorted[Math.floor(sorted.length / 2)]!,
    layers_update_ms_max: sorted.at(-1)!,
    layers_update_samples_ms: samples,
  };
}
