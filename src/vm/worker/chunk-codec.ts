// The heavy half of incremental checkpoints (see chunks.ts): hashing a state's chunks, packing
// the new ones, and putting a state back together from its packs. The page runs it in a worker of
// its own (checkpoint.worker.ts), so the emulator keeps running; Node tests call it directly.
//
// Chunks are named by xxh128 (hash-wasm): 270 MB in 18,000 chunks hashes in 70 ms, where
// sha256 took 180-300 ms (Node's crypto / WebCrypto, one call per chunk). A name only finds a
// chunk again; what guards a restore against damaged storage (or a compression gone wrong) is
// each pack's checksum: xxh128 of its bytes before compression, checked after decompression.
import { compress, decompress, init } from "@bokuweb/zstd-wasm";
import { createXXHash128 } from "hash-wasm";
import {
  DamagedPackError,
  cutPoints,
  runBytes,
  type ChunkManifest,
  type NewPack,
} from "./chunks.ts";

/**
 * Level -1 (zstd's fast mode), not its default 3: a checkpoint is saved at every pause and
 * decompressed at every restore, and its size costs less. On a used machine's state (163 MB raw,
 * Node): level 3 about 1.5 s, level 1 762 ms to 59 MB (decompressed in 501 ms), level -1 590 ms to
 * 66 MB (decompressed in 231 ms), level -3 468 ms to 74 MB.
 */
export const CHECKPOINT_LEVEL = -1;

type Hasher = Awaited<ReturnType<typeof createXXHash128>>;
let ready: Promise<Hasher> | undefined;
/** Loads both wasm modules (once); the hasher is shared (every use is synchronous). */
function codecReady(): Promise<Hasher> {
  ready ??= init().then(() => createXXHash128());
  return ready;
}

function xxh128(hasher: Hasher, bytes: Uint8Array): string {
  hasher.init();
  hasher.update(bytes);
  return hasher.digest("hex");
}

/** A state's chunks: where each ends, and its name. */
export async function chunkState(
  raw: Uint8Array,
): Promise<{ ends: Uint32Array; hashes: string[] }> {
  const hasher = await codecReady();
  const ends = cutPoints(raw);
  const hashes = new Array<string>(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    hashes[i] = xxh128(hasher, raw.subarray(start, ends[i]));
    start = ends[i]!;
  }
  return { ends, hashes };
}

/**
 * One zstd frame of `bytes` (a checkpoint as saved whole before chunks; dev probes). Use this
 * rather than the package's own init(): a second init() breaks the module for its other users.
 */
export async function zstd(bytes: Uint8Array, level = CHECKPOINT_LEVEL): Promise<Uint8Array> {
  await codecReady();
  return compress(bytes, level);
}

/** One new pack's stored bytes: its ranges of the state one after another, one zstd frame. */
export async function packChunks(
  raw: Uint8Array,
  pack: Pick<NewPack, "ranges" | "rawBytes">,
  level = CHECKPOINT_LEVEL,
): Promise<{ bytes: Uint8Array; checksum: string }> {
  const hasher = await codecReady();
  const joined = new Uint8Array(pack.rawBytes);
  let at = 0;
  for (let i = 0; i < pack.ranges.length; i += 2) {
    const part = raw.subarray(pack.ranges[i], pack.ranges[i + 1]);
    joined.set(part, at);
    at += part.length;
  }
  return { bytes: compress(joined, level), checksum: xxh128(hasher, joined) };
}

/**
 * The state a manifest describes, from its packs' stored bytes (in `manifest.packs` order) and
 * their checksums. Throws DamagedPackError if a pack does not match or does not fit.
 */
export async function unpackState(
  manifest: Pick<ChunkManifest, "rawBytes" | "runs">,
  packs: Uint8Array[],
  checksums: string[],
): Promise<Uint8Array> {
  const hasher = await codecReady();
  const runs = manifest.runs;
  if (runs.length % 3 !== 0 || runBytes(runs) !== manifest.rawBytes)
    throw new DamagedPackError("its chunk list does not add up");
  const out = new Uint8Array(manifest.rawBytes);
  // Where each run goes; then one pack at a time (decompressed, copied out, let go).
  const to = new Float64Array(runs.length / 3);
  for (let r = 1; r < to.length; r++) to[r] = to[r - 1]! + runs[(r - 1) * 3 + 2]!;
  for (let r = 0; r < to.length; r++)
    if (runs[r * 3]! >= packs.length) throw new DamagedPackError("a part is missing");
  for (let p = 0; p < packs.length; p++) {
    let source: Uint8Array;
    try {
      source = decompress(packs[p]!);
    } catch (error) {
      throw new DamagedPackError(`a part does not decompress: ${(error as Error).message}`, p);
    }
    if (xxh128(hasher, source) !== checksums[p])
      throw new DamagedPackError("a part's checksum does not match", p);
    for (let r = 0; r < to.length; r++) {
      if (runs[r * 3] !== p) continue;
      const offset = runs[r * 3 + 1]!;
      const length = runs[r * 3 + 2]!;
      if (offset + length > source.length)
        throw new DamagedPackError("a chunk lies outside its part", p);
      out.set(source.subarray(offset, offset + length), to[r]);
    }
  }
  return out;
}
