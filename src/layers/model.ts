// The picture the Layers panel draws, computed from what the engine reports: each image a
// stack of read-only layers (bottom-up), identical layers shared between images, and each
// container's thin writable layer on top of its image. Pure functions, no DOM, no engine calls.
import type {
  ContainerChange,
  ContainerSummary,
  HistoryItem,
  ImageInspect,
  ImageSummary,
} from "../engine/types.ts";

/** One entry of the image config's own history (imagedb), the only place `empty_layer` is kept. */
export interface ConfigHistoryItem {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** `GET /images/{id}/json` also carries where overlay2 keeps the image's layers. */
export type ImageInspectWithDirs = ImageInspect & {
  GraphDriver?: { Name: string; Data: Record<string, string> | null };
};

/** What the engine says about one image; immutable for a given image ID. */
export interface ImageRecord {
  inspect: ImageInspectWithDirs;
  /** `docker history`: newest first, one item per build step, empty steps included. */
  history: HistoryItem[];
  /** The config's history, oldest first; absent when it could not be read. */
  configHistory?: ConfigHistoryItem[];
}

export interface ContainerRecord {
  summary: ContainerSummary;
  changes: ContainerChange[];
}

/** Everything one refresh read from the engine. */
export interface EngineSnapshot {
  images: ImageSummary[];
  records: ReadonlyMap<string, ImageRecord>;
  containers: ContainerRecord[];
}

/** A read-only layer, once however many images use it. */
export interface Layer {
  /**
   * The diff IDs from the bottom up to this one. Docker stores a layer once per chain (the
   * layers under it included), so equal keys are one layer on disk, shared by those images.
   */
  key: string;
  /** sha256 of the layer's uncompressed tar (RootFS.Layers). */
  diffId: string;
  /** 0 = the bottom layer. */
  depth: number;
  /** The history line that made it; empty when the image has no history for it. */
  createdBy: string;
  /** `createdBy` shortened for a label: `COPY index.html /usr/local/apache2/htdocs/`. */
  label: string;
  /** Bytes the layer adds (the engine's diff size). */
  size: number;
  /** Unix seconds. */
  created: number;
  comment: string;
  /** Image IDs that contain this layer. */
  images: string[];
  /** Palette slot: the same for every image that shares the layer. */
  colour: number;
  /** The layer's overlay2 diff directory in the guest, when the engine said. */
  dir?: string;
}

export type ChangeKind = "A" | "C" | "D";

export interface FileChange {
  path: string;
  kind: ChangeKind;
}

/** A container's writable layer: what it added (A), changed (C) or deleted (D). */
export interface WritableLayer {
  id: string;
  shortId: string;
  name: string;
  state: string;
  imageId: string;
  changes: FileChange[];
}

export interface ImageStack {
  id: string;
  shortId: string;
  /** First tag, or `<none>` with the short ID for an untagged image. */
  name: string;
  tags: string[];
  created: number;
  /** Layers bottom-up. */
  layers: Layer[];
  containers: WritableLayer[];
}

export interface LayerPicture {
  stacks: ImageStack[];
  /** Every layer by key. */
  layers: Map<string, Layer>;
  /** Containers whose image is no longer listed (removed with --force). */
  orphans: WritableLayer[];
}

export const shortId = (id: string): string => id.replace(/^sha256:/, "").slice(0, 12);

const EMPTY_STEP =
  /^(?:\/bin\/sh -c )?#\(nop\)\s+(?!COPY\b|ADD\b)|^(?:ENV|CMD|LABEL|EXPOSE|ENTRYPOINT|USER|VOLUME|STOPSIGNAL|HEALTHCHECK|ONBUILD|SHELL|ARG|MAINTAINER)\b/;

/**
 * Which history steps (oldest first) made a layer. The config says so exactly; without it, a
 * step that added bytes or ran a command made one, and metadata steps (ENV, CMD, ...) did not.
 */
export function layerSteps(record: ImageRecord): HistoryItem[] {
  const oldest = [...record.history].reverse();
  const config = record.configHistory;
  if (config && config.length === oldest.length)
    return oldest.filter((_, i) => !config[i]!.empty_layer);
  const layers = record.inspect.RootFS.Layers?.length ?? 0;
  const guess = oldest.filter((h) => h.Size > 0 || !EMPTY_STEP.test(h.CreatedBy.trim()));
  if (guess.length === layers) return guess;
  // Images assembled by hand record commands that made no layer: trust sizes alone if they fit.
  const sized = oldest.filter((h) => h.Size > 0);
  return sized.length === layers ? sized : guess;
}

/** A history line as a learner would write it in a Dockerfile. */
export function shortLabel(createdBy: string, max = 80): string {
  let s = createdBy.trim().replace(/\s+/g, " ");
  // Build args recorded by the classic builder: `|2 A=1 B=2 /bin/sh -c ...`.
  s = s.replace(/^\|\d+ (?:\S+=\S* )*/, "");
  s = s.replace(/ # buildkit$/, "");
  if (s.startsWith("/bin/sh -c #(nop) ")) s = s.slice("/bin/sh -c #(nop) ".length);
  else if (s.startsWith("#(nop) ")) s = s.slice("#(nop) ".length);
  else if (s.startsWith("/bin/sh -c ")) s = `RUN ${s.slice("/bin/sh -c ".length)}`;
  // The classic builder names copied content by its hash: `COPY file:6a1f...e2 in /dst`.
  s = s.replace(/\b(file|dir|multi):([0-9a-f]{12})[0-9a-f]{52}\b/g, "$1:$2");
  s = s.replace(/ in (\S+)/, " $1").trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const KIND: Record<number, ChangeKind> = { 0: "C", 1: "A", 2: "D" };

export function writableLayer(record: ContainerRecord): WritableLayer {
  const c = record.summary;
  return {
    id: c.Id,
    shortId: shortId(c.Id),
    name: (c.Names[0] ?? shortId(c.Id)).replace(/^\//, ""),
    state: c.State,
    imageId: c.ImageID,
    changes: record.changes
      .map((ch) => ({ path: ch.Path, kind: KIND[ch.Kind] ?? "C" }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}

/** The overlay2 diff directories of an image's layers, bottom-up (undefined when unknown). */
export function layerDirs(inspect: ImageInspectWithDirs): (string | undefined)[] {
  const data = inspect.GraphDriver?.Data;
  const count = inspect.RootFS.Layers?.length ?? 0;
  if (!data?.UpperDir) return Array.from({ length: count }, () => undefined);
  const topDown = [data.UpperDir, ...(data.LowerDir ? data.LowerDir.split(":") : [])];
  if (topDown.length !== count) return Array.from({ length: count }, () => undefined);
  return topDown.reverse();
}

/** Builds the picture. Stacks are ordered so images that share a base stand side by side. */
export function buildPicture(snapshot: EngineSnapshot): LayerPicture {
  const layers = new Map<string, Layer>();
  const stacks: ImageStack[] = [];
  for (const image of snapshot.images) {
    const record = snapshot.records.get(image.Id);
    if (!record) continue;
    const diffIds = record.inspect.RootFS.Layers ?? [];
    const steps = layerSteps(record);
    const dirs = layerDirs(record.inspect);
    const stackLayers: Layer[] = [];
    let key = "";
    diffIds.forEach((diffId, depth) => {
      key = key ? `${key} ${diffId}` : diffId;
      let layer = layers.get(key);
      if (!layer) {
        // Steps and layers are matched bottom-up; a history shorter than the layers leaves
        // the top ones without a label rather than shifting every label by one.
        const step = steps[depth];
        layer = {
          key,
          diffId,
          depth,
          createdBy: step?.CreatedBy ?? "",
          // `docker import` leaves no command, only a comment ("Imported from ...").
          label: step ? shortLabel(step.CreatedBy) || shortLabel(step.Comment) : "",
          size: step?.Size ?? 0,
          created: step?.Created ?? 0,
          comment: step?.Comment ?? "",
          images: [],
          colour: 0,
        };
        const dir = dirs[depth];
        if (dir) layer.dir = dir;
        layers.set(key, layer);
      }
      layer.images.push(image.Id);
      stackLayers.push(layer);
    });
    const tags = (image.RepoTags ?? []).filter((t) => t !== "<none>:<none>");
    stacks.push({
      id: image.Id,
      shortId: shortId(image.Id),
      name: tags[0] ?? `<none> ${shortId(image.Id)}`,
      tags,
      created: image.Created,
      layers: stackLayers,
      containers: [],
    });
  }
  // Images with a common base sort next to each other, the base before what is built on it.
  const chain = (s: ImageStack) => s.layers.map((l) => l.diffId).join(" ");
  stacks.sort((a, b) => {
    const ca = chain(a);
    const cb = chain(b);
    return ca < cb ? -1 : ca > cb ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  // Colours in order of first appearance, so neighbours rarely collide and shared ones match.
  let next = 0;
  for (const stack of stacks)
    for (const layer of stack.layers) if (layer.images[0] === stack.id) layer.colour = next++;

  const byId = new Map(stacks.map((s) => [s.id, s]));
  const orphans: WritableLayer[] = [];
  for (const record of snapshot.containers) {
    const writable = writableLayer(record);
    const stack = byId.get(writable.imageId);
    if (stack) stack.containers.push(writable);
    else orphans.push(writable);
  }
  for (const stack of stacks)
    stack.containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { stacks, layers, orphans };
}

/** Layers of `picture` not in `before` (by key), for the appear animation. */
export function addedLayers(before: LayerPicture | undefined, after: LayerPicture): Set<string> {
  const added = new Set<string>();
  if (!before) return added;
  for (const key of after.layers.keys()) if (!before.layers.has(key)) added.add(key);
  return added;
}
