// Incremental checkpoints: a machine state cut into content-defined chunks, so a checkpoint
// stores (and compresses) only the chunks no earlier checkpoint holds.
//
// Cut points come from a rolling "gear" hash over the last 32 bytes (as in FastCDC): bytes
// inserted or removed early in a state (v86 packs memory without its zero pages, so a page that
// becomes non-zero shifts everything after it) move the cut points with them, and the chunks
// after a change are found again. Measured on two saves of a used guest (270 MB raw, `curl` and
// `docker ps` between them; `scripts/dev/checkpoint-delta.mts`): chunks of about 8 KB leave 54 MB
// new, chunks of about 80 KB 135 MB (small changes everywhere in memory: page tables, slab, timers).
//
// New chunks go into a pack (one zstd frame of their bytes one after another: small chunks alone
// would compress worse); a checkpoint's manifest lists, in order, runs of bytes in packs. This
// module is the pure part (cutting and planning); `chunk-codec.ts` hashes and compresses.

/** No chunk is shorter (except the last) or longer than these; the mean is about MIN + 2^MASK_BITS. */
export const CHUNK_MIN = 4 * 1024;
export const CHUNK_MAX = 128 * 1024;
const MASK_BITS = 13;
/** The top bits: the gear hash's high bits depend on all of its last 32 bytes. */
const MASK = 0xffffffff << (32 - MASK_BITS);

/**
 * A pack holds at most this many raw bytes: one-shot zstd keeps a pack's input and output in its
 * wasm heap, and a restore decompresses a whole pack to use any chunk of it.
 */
export const PACK_MAX_RAW = 192 * 2 ** 20;

/**
 * A checkpoint that uses less than this share of an older pack's bytes stores those chunks again
 * in its own pack instead: a restore never decompresses much more than it uses, and old packs
 * stop being needed once no checkpoint uses them.
 */
export const PACK_MIN_USE = 0.5;

/** 256 fixed pseudo-random words (xorshift32 from a fixed seed): the same cuts on every machine. */
const GEAR = (() => {
  const table = new Int32Array(256);
  let x = 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[i] = x;
  }
  return table;
})();

/** The end offsets of the chunks of `data` (the last one is data.length). */
export function cutPoints(data: Uint8Array): Uint32Array {
  const n = data.length;
  const ends = new Uint32Array(Math.ceil(n / CHUNK_MIN) + 1);
  let count = 0;
  let start = 0;
  while (start < n) {
    const limit = Math.min(n, start + CHUNK_MAX);
    let end = limit;
    let h = 0;
    for (let i = start + CHUNK_MIN; i < limit; i++) {
      h = ((h << 1) + GEAR[data[i]!]!) | 0;
      if ((h & MASK) === 0) {
        end = i + 1;
        break;
      }
    }
    ends[count++] = end;
    start = end;
  }
  return ends.slice(0, count);
}

/** What the store keeps about one pack (beside its bytes), enough to plan the next checkpoint. */
export interface PackIndex {
  id: string;
  /** Bytes of its chunks, one after another, before compression. */
  rawBytes: number;
  /** Its stored (compressed) size. */
  packedBytes: number;
  /** xxh128 of its raw bytes: checked after a restore decompresses them. */
  checksum: string;
  /** The chunks' hashes, in the order their bytes follow each other in the pack. */
  hashes: string[];
  /** Where each chunk starts in the pack's raw bytes (its length runs to the next start). */
  offsets: Uint32Array;
}

/** A checkpoint as the store keeps it: which packs, and the runs of their bytes, in order. */
export interface ChunkManifest {
  kind: "chunks";
  rawBytes: number;
  /** Ids of the packs it reads (new ones included). */
  packs: string[];
  /** Triples (index into `packs`, offset in that pack's raw bytes, length), in state order. */
  runs: Uint32Array;
}

/** A pack to write: the chunks of the state that go in it, in order. */
export interface NewPack {
  id: string;
  hashes: string[];
  /** Pairs (start, end) into the state: the pack's raw bytes are these ranges one after another. */
  ranges: Uint32Array;
  offsets: Uint32Array;
  rawBytes: number;
}

/**
 * Decides what a checkpoint of a state stores: chunk `i` is `data[ends[i-1] ?? 0, ends[i])` with
 * hash `hashes[i]`; `packs` are those already stored. `newId` names each new pack.
 */
export function planCheckpoint(
  ends: Uint32Array,
  hashes: string[],
  packs: PackIndex[],
  newId: () => string,
  limits = { packMaxRaw: PACK_MAX_RAW, minUse: PACK_MIN_USE },
): { manifest: ChunkManifest; fresh: NewPack[] } {
  const where = new Map<string, { pack: PackIndex; offset: number; length: number }>();
  for (const pack of packs)
    pack.hashes.forEach((hash, j) => {
      const end = j + 1 < pack.offsets.length ? pack.offsets[j + 1]! : pack.rawBytes;
      where.set(hash, { pack, offset: pack.offsets[j]!, length: end - pack.offsets[j]! });
    });

  // How much of each old pack this state would use (each distinct chunk once).
  const used = new Map<PackIndex, number>();
  const counted = new Set<string>();
  for (const hash of hashes) {
    const at = where.get(hash);
    if (!at || counted.has(hash)) continue;
    counted.add(hash);
    used.set(at.pack, (used.get(at.pack) ?? 0) + at.length);
  }
  const keep = (pack: PackIndex) => (used.get(pack) ?? 0) >= limits.minUse * pack.rawBytes;

  const slots = new Map<string, number>();
  const slot = (id: string) => {
    let s = slots.get(id);
    if (s === undefined) slots.set(id, (s = slots.size));
    return s;
  };
  const building: {
    id: string;
    hashes: string[];
    ranges: number[];
    offsets: number[];
    raw: number;
  }[] = [];
  const placed = new Map<string, { id: string; offset: number }>();
  /** Where a chunk that no kept pack holds goes: the new pack being filled (once per hash). */
  const put = (hash: string, start: number, end: number) => {
    let at = placed.get(hash);
    if (at) return at;
    let pack = building.at(-1);
    if (!pack || pack.raw + (end - start) > limits.packMaxRaw) {
      pack = { id: newId(), hashes: [], ranges: [], offsets: [], raw: 0 };
      building.push(pack);
    }
    at = { id: pack.id, offset: pack.raw };
    pack.hashes.push(hash);
    pack.ranges.push(start, end);
    pack.offsets.push(pack.raw);
    pack.raw += end - start;
    placed.set(hash, at);
    return at;
  };

  const runs: number[] = [];
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const old = where.get(hashes[i]!);
    const at =
      old && keep(old.pack) ? { id: old.pack.id, offset: old.offset } : put(hashes[i]!, start, end);
    const s = slot(at.id);
    const n = runs.length;
    // A chunk that follows the previous one in the same pack extends its run.
    if (n > 0 && runs[n - 3] === s && runs[n - 2]! + runs[n - 1]! === at.offset)
      runs[n - 1]! += end - start;
    else runs.push(s, at.offset, end - start);
    start = end;
  }

  return {
    manifest: {
      kind: "chunks",
      rawBytes: start,
      packs: [...slots.keys()],
      runs: Uint32Array.from(runs),
    },
    fresh: building.map((p) => ({
      id: p.id,
      hashes: p.hashes,
      ranges: Uint32Array.from(p.ranges),
      offsets: Uint32Array.from(p.offsets),
      rawBytes: p.raw,
    })),
  };
}

/** A stored checkpoint that cannot be put back together (damaged or incomplete storage). */
export class DamagedPackError extends Error {
  override name = "DamagedPackError";
  /** Which of the manifest's packs is damaged, when one is to blame. */
  readonly pack: number | undefined;
  constructor(message: string, pack?: number) {
    super(message);
    this.pack = pack;
  }
}

/** Total bytes of a manifest's runs, for checking it against its `rawBytes`. */
export function runBytes(runs: Uint32Array): number {
  let total = 0;
  for (let i = 2; i < runs.length; i += 3) total += runs[i]!;
  return total;
}
