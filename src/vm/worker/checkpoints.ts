// Checkpoints: whole machine states (memory, devices, and every block the guest wrote to its
// disk) kept in IndexedDB, incrementally: a state is cut into content-defined chunks and a save
// stores, zstd-compressed, only the chunks no stored checkpoint holds (chunks.ts). One is the
// automatic "resume" checkpoint, saved when the learner pauses and restored on the next visit; the
// others are named by the learner. Checkpoints saved before chunks (one zstd or gzip blob each)
// still restore.
//
// Records: `info:<base>:<id>` (CheckpointInfo), `data:<base>:<id>` (its ChunkManifest),
// `pack:<id>` (a pack's stored bytes) and `packidx:<id>` (its PackIndex). Packs no manifest uses
// are deleted after every change, inside the same queue as saves, so a save never counts on a
// pack that is going away.
//
// A checkpoint only fits the saved base state it grew from (same guest, same devices), so each
// is filed under that state's hash and a new guest drops them all.
import { createStore, delMany, get, getMany, keys, setMany, type UseStore } from "idb-keyval";
import type { CheckpointInfo } from "../protocol.ts";
import type { CheckpointCodec } from "./checkpoint-codec.ts";
import { isZstd } from "./checkpoint-codec.ts";
import { DamagedPackError, planCheckpoint, type ChunkManifest, type PackIndex } from "./chunks.ts";
import { sha256Hex } from "./download.ts";

/** What the last save took, for the checkpoint's timeline (ms). */
export interface SaveTimings {
  chunkMs: number;
  packMs: number;
  /** Reading the pack indexes, planning, writing, and dropping unused packs. */
  storeMs: number;
  /** Raw bytes of the state, and how many of them were new. */
  rawBytes: number;
  newBytes: number;
}

/** A stored manifest also names its packs' checksums, so a restore needs no index. */
type StoredManifest = ChunkManifest & { checksums: string[] };

/** Its own database: "Clear cached data" (downloads only) must not delete the learner's work. */
export const CHECKPOINT_DB = "docker-sandbox-checkpoints";

/** Id of the checkpoint saved automatically when the learner pauses; restored on the next visit. */
export const RESUME = "auto";

/** Id of the one lesson-step checkpoint (the start of the step the learner is on). */
export const STEP = "step";

/** The name the STEP checkpoint carries: which lesson step it is the start of. */
export function stepName(lessonId: string, stepId: string): string {
  return `${lessonId}/${stepId}`;
}

/** Id of a checkpoint the learner named. */
export function namedId(name: string): string {
  return `named:${name}`;
}

/** Names a learner types are shown as typed; this keeps them short and printable. */
const NAME = /^[^\p{Cc}]{1,60}$/u;

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

export class CheckpointStore {
  #store: UseStore;
  #base: string;
  #codec: CheckpointCodec;
  /** Saves, removals and the dropping of unused packs, one after another. */
  #queue: Promise<unknown> = Promise.resolve();
  /** What the last save took. */
  lastSave: SaveTimings | undefined;
  /** What the last load of a chunked checkpoint took (ms): reading its packs, unpacking them. */
  lastLoad: { readMs: number; unpackMs: number } | undefined;

  /** `base`: hash of the saved base state the checkpoints grew from. */
  constructor(
    base: string,
    codec: CheckpointCodec,
    store: UseStore = createStore(CHECKPOINT_DB, "checkpoints"),
  ) {
    this.#base = base;
    this.#codec = codec;
    this.#store = store;
  }

  static validName(name: string): string {
    const trimmed = name.trim();
    if (!NAME.test(trimmed))
      throw new CheckpointError("A checkpoint name is 1 to 60 characters on one line.");
    return trimmed;
  }

  /** Newest first; the resume checkpoint included (marked `auto`). */
  async list(): Promise<CheckpointInfo[]> {
    const prefix = `info:${this.#base}:`;
    const infoKeys = (await keys<string>(this.#store)).filter((k) => k.startsWith(prefix));
    const infos = await getMany<CheckpointInfo | undefined>(infoKeys, this.#store);
    return infos.filter((i) => i !== undefined).sort((a, b) => b.savedAt - a.savedAt);
  }

  /**
   * `name`: what the learner typed; empty for the resume checkpoint. The state is taken over.
   * `bytes` in the answer: what this save added to storage.
   */
  save(id: string, name: string, state: ArrayBuffer): Promise<CheckpointInfo> {
    return this.#exclusive(async () => {
      const session = await this.#codec.chunk(new Uint8Array(state));
      try {
        const started = performance.now();
        const indexes = await this.#packIndexes();
        const { manifest, fresh } = planCheckpoint(session.ends, session.hashes, indexes, () =>
          crypto.randomUUID(),
        );
        const planned = performance.now() - started;
        const packed = await session.pack(fresh);
        const stored = performance.now();
        const checksums = new Map(indexes.map((p) => [p.id, p.checksum]));
        const entries: [IDBValidKey, unknown][] = [];
        fresh.forEach((pack, i) => {
          const { bytes, checksum } = packed.packs[i]!;
          checksums.set(pack.id, checksum);
          const index: PackIndex = {
            id: pack.id,
            rawBytes: pack.rawBytes,
            packedBytes: bytes.byteLength,
            checksum,
            hashes: pack.hashes,
            offsets: pack.offsets,
          };
          entries.push([`pack:${pack.id}`, bytes], [`packidx:${pack.id}`, index]);
        });
        const data: StoredManifest = {
          ...manifest,
          checksums: manifest.packs.map((p) => checksums.get(p)!),
        };
        const info: CheckpointInfo = {
          id,
          name,
          savedAt: Date.now(),
          bytes: packed.packs.reduce((n, p) => n + p.bytes.byteLength, 0),
          auto: id === RESUME,
        };
        // One transaction: a page closed meanwhile (the resume save runs as the tab goes)
        // leaves either the old checkpoint or the new one, with every pack it needs.
        entries.push([this.#dataKey(id), data], [this.#infoKey(id), info]);
        await setMany(entries, this.#store);
        await this.#dropUnused();
        this.lastSave = {
          chunkMs: session.chunkMs,
          packMs: packed.ms,
          storeMs: planned + (performance.now() - stored),
          rawBytes: manifest.rawBytes,
          newBytes: fresh.reduce((n, p) => n + p.rawBytes, 0),
        };
        return info;
      } finally {
        session.close();
      }
    });
  }

  async info(id: string): Promise<CheckpointInfo | undefined> {
    return get<CheckpointInfo>(this.#infoKey(id), this.#store);
  }

  /**
   * The state to restore (raw, or zstd as an old checkpoint stored it: v86 decompresses that),
   * or undefined when there is no such checkpoint. Throws if damaged.
   */
  load(id: string): Promise<ArrayBuffer | undefined> {
    // In the queue: a save landing between reading the manifest and its packs could drop one.
    return this.#exclusive(() => this.#load(id));
  }

  async #load(id: string): Promise<ArrayBuffer | undefined> {
    this.lastLoad = undefined;
    const data = await get<Uint8Array | StoredManifest>(this.#dataKey(id), this.#store);
    if (!data) return undefined;
    const damaged = (why: string) =>
      new CheckpointError(`The checkpoint is damaged and cannot be restored (${why}).`);
    if (!(data instanceof Uint8Array)) {
      this.#codec.prepare?.(); // its worker loads while the packs are read
      const started = performance.now();
      const packs = await getMany<Uint8Array | undefined>(
        data.packs.map((p) => `pack:${p}`),
        this.#store,
      );
      if (packs.some((p) => !(p instanceof Uint8Array))) throw damaged("a part of it is missing");
      try {
        const read = performance.now();
        const raw = await this.#codec.unpack(data, packs as Uint8Array[], data.checksums);
        this.lastLoad = { readMs: read - started, unpackMs: performance.now() - read };
        return exactBuffer(raw);
      } catch (error) {
        if (!(error instanceof DamagedPackError)) throw error;
        // No later save may build on that pack.
        const bad = error.pack === undefined ? undefined : data.packs[error.pack];
        if (bad) await delMany([`packidx:${bad}`], this.#store).catch(() => {});
        throw damaged(error.message);
      }
    }
    // Saved before chunks: one blob, with its sha256.
    const sum = (await this.info(id))?.sha256;
    if (sum && (await sha256Hex(data)) !== sum) throw damaged("its checksum does not match");
    if (isZstd(data)) return exactBuffer(data);
    try {
      return (await gunzip(data)).buffer as ArrayBuffer;
    } catch (error) {
      throw damaged((error as Error).message);
    }
  }

  remove(id: string): Promise<void> {
    return this.#exclusive(async () => {
      await delMany([this.#infoKey(id), this.#dataKey(id)], this.#store);
      await this.#dropUnused();
    });
  }

  /** Drops checkpoints of other base states: they cannot be restored on this guest. */
  dropOthers(): Promise<void> {
    return this.#exclusive(async () => {
      const stale = (await keys<string>(this.#store)).filter(
        (k) =>
          (k.startsWith("info:") || k.startsWith("data:")) &&
          !k.startsWith(`info:${this.#base}:`) &&
          !k.startsWith(`data:${this.#base}:`),
      );
      if (stale.length > 0) await delMany(stale, this.#store);
      await this.#dropUnused();
    });
  }

  /**
   * One change at a time: in this store's queue, and across the tabs and workers of this origin
   * (Web Locks, where there are any): a save in one tab must not count on a pack another tab's
   * save is dropping.
   */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    const locked = locks ? () => locks.request(CHECKPOINT_DB, work) : work;
    const run = this.#queue.catch(() => {}).then(locked);
    this.#queue = run;
    return run;
  }

  async #packIndexes(): Promise<PackIndex[]> {
    const ids = (await keys<string>(this.#store)).filter((k) => k.startsWith("packidx:"));
    const indexes = await getMany<PackIndex | undefined>(ids, this.#store);
    return indexes.filter((i) => i !== undefined);
  }

  /** Deletes the packs no checkpoint's manifest (of any base) uses. */
  async #dropUnused(): Promise<void> {
    const all = await keys<string>(this.#store);
    // Only chunked checkpoints have manifests to read: one saved whole (its info has a sha256)
    // is a blob of 60-90 MB, not worth reading for nothing.
    const infoKeys = all.filter((k) => k.startsWith("info:"));
    const infos = await getMany<CheckpointInfo | undefined>(infoKeys, this.#store);
    const manifestKeys = infoKeys
      .filter((_, i) => infos[i] && infos[i].sha256 === undefined)
      .map((k) => `data:${k.slice("info:".length)}`);
    const manifests = await getMany<StoredManifest | undefined>(manifestKeys, this.#store);
    const used = new Set<string>();
    for (const m of manifests) if (m?.packs) for (const p of m.packs) used.add(p);
    const unused = all.filter((k) => {
      const id = k.startsWith("pack:") ? k.slice(5) : k.startsWith("packidx:") ? k.slice(8) : "";
      return id !== "" && !used.has(id);
    });
    if (unused.length > 0) await delMany(unused, this.#store);
  }

  #infoKey(id: string): string {
    return `info:${this.#base}:${id}`;
  }

  #dataKey(id: string): string {
    return `data:${this.#base}:${id}`;
  }
}

/** The bytes as an ArrayBuffer of their own, copied only when they are a view into a larger one. */
function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer;
}

/** Checkpoints saved before zstd were gzip (the browser's own CompressionStream). */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart])
    .stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
