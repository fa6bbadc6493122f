// Checkpoints: whole machine states (memory, devices, and every block the guest wrote to its
// disk) kept in IndexedDB, compressed: zstd in the page (v86 restores it as it is, see zstd.ts),
// gzip where no packer is given (Node tests) and for checkpoints saved before zstd. One is the automatic "resume" checkpoint, saved when
// the learner pauses and restored on the next visit; the others are named by the learner.
//
// A checkpoint only fits the saved base state it grew from (same guest, same devices), so each
// is filed under that state's hash and a new guest drops them all.
import { createStore, del, delMany, get, keys, setMany, type UseStore } from "idb-keyval";
import type { CheckpointInfo } from "../protocol.ts";
import { sha256Hex } from "./download.ts";
import { isZstd } from "./zstd.ts";

/** Compresses a saved state (which it may take over) into the bytes stored. */
export type Packer = (raw: Uint8Array) => Promise<Uint8Array>;

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

  #pack: Packer;

  /** `base`: hash of the saved base state the checkpoints grew from. */
  constructor(
    base: string,
    store: UseStore = createStore(CHECKPOINT_DB, "checkpoints"),
    pack: Packer = gzip,
  ) {
    this.#base = base;
    this.#store = store;
    this.#pack = pack;
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
    const infos = await Promise.all(infoKeys.map((k) => get<CheckpointInfo>(k, this.#store)));
    return infos.filter((i) => i !== undefined).sort((a, b) => b.savedAt - a.savedAt);
  }

  /** `name`: what the learner typed; empty for the resume checkpoint. */
  async save(id: string, name: string, state: ArrayBuffer): Promise<CheckpointInfo> {
    const packed = await this.#pack(new Uint8Array(state));
    const info: CheckpointInfo = {
      id,
      name,
      savedAt: Date.now(),
      bytes: packed.byteLength,
      auto: id === RESUME,
      sha256: await sha256Hex(packed),
    };
    // One transaction: a page closed between the two (the resume save runs as the tab goes)
    // would leave new data beside the old checksum, or an info without its data.
    await setMany(
      [
        [this.#dataKey(id), packed],
        [this.#infoKey(id), info],
      ],
      this.#store,
    );
    return info;
  }

  async info(id: string): Promise<CheckpointInfo | undefined> {
    return get<CheckpointInfo>(this.#infoKey(id), this.#store);
  }

  /**
   * The state to restore (zstd as stored: v86 decompresses it), or undefined when there is no
   * such checkpoint. Throws if damaged.
   */
  async load(id: string): Promise<ArrayBuffer | undefined> {
    const packed = await get<Uint8Array>(this.#dataKey(id), this.#store);
    if (!packed) return undefined;
    const damaged = (why: string) =>
      new CheckpointError(`The checkpoint is damaged and cannot be restored (${why}).`);
    const sum = (await this.info(id))?.sha256;
    if (sum && (await sha256Hex(packed)) !== sum) throw damaged("its checksum does not match");
    if (isZstd(packed)) return exactBuffer(packed);
    try {
      return (await gunzip(packed)).buffer as ArrayBuffer;
    } catch (error) {
      throw damaged((error as Error).message);
    }
  }

  async remove(id: string): Promise<void> {
    await del(this.#infoKey(id), this.#store);
    await del(this.#dataKey(id), this.#store);
  }

  /** Drops checkpoints of other base states: they cannot be restored on this guest. */
  async dropOthers(): Promise<void> {
    const stale = (await keys<string>(this.#store)).filter(
      (k) => !k.startsWith(`info:${this.#base}:`) && !k.startsWith(`data:${this.#base}:`),
    );
    if (stale.length > 0) await delMany(stale, this.#store);
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

/** The browser's own gzip (CompressionStream): native speed, nothing to bundle. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return pipe(bytes, new CompressionStream("gzip"));
}

export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  return pipe(bytes, new DecompressionStream("gzip"));
}

async function pipe(bytes: Uint8Array, transform: GenerateTransformStream): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

type GenerateTransformStream = CompressionStream | DecompressionStream;
