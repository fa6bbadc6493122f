// Disk packs: root-disk chunks recorded when the state is built and shipped beside it as gzip
// streams (boot, warm, rest), so a first visit makes a few requests instead of hundreds of
// sequential Range requests. gzip because every browser decodes it natively
// (DecompressionStream); v86's zstd decoder is internal.
//
// Format (before gzip): "HOT1", u32 chunkSize, u32 count, then per chunk: u32 index, u32 length,
// `length` bytes. Little-endian. DOM-free, so build:state can write it in Node.

const MAGIC = 0x31544f48; // "HOT1"

export interface HotChunk {
  index: number;
  data: Uint8Array;
}

export function encodeHotSet(chunkSize: number, chunks: HotChunk[]): Uint8Array {
  const size = 12 + chunks.reduce((n, c) => n + 8 + c.data.byteLength, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, chunkSize, true);
  view.setUint32(8, chunks.length, true);
  let at = 12;
  for (const { index, data } of chunks) {
    view.setUint32(at, index, true);
    view.setUint32(at + 4, data.byteLength, true);
    out.set(data, at + 8);
    at += 8 + data.byteLength;
  }
  return out;
}

/**
 * Decodes a gzip HOT1 stream piece by piece, handing over chunks in batches, so a large pack
 * (the whole used disk) never sits decompressed in memory at once.
 */
export async function readHotStream(
  gz: Uint8Array,
  onBatch: (chunkSize: number, chunks: HotChunk[]) => Promise<void> | void,
  { batchBytes = 4 << 20, signal }: { batchBytes?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const reader = new Blob([gz as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream("gzip"))
    .getReader();
  let buffer = new Uint8Array(0);
  let header: { chunkSize: number; count: number } | undefined;
  let seen = 0;
  let batch: HotChunk[] = [];
  let batchSize = 0;
  const take = (n: number): Uint8Array | undefined => {
    if (buffer.byteLength < n) return undefined;
    const out = buffer.subarray(0, n);
    buffer = buffer.subarray(n);
    return out;
  };
  for (;;) {
    signal?.throwIfAborted();
    const { value, done } = await reader.read();
    if (value) {
      const joined = new Uint8Array(buffer.byteLength + value.byteLength);
      joined.set(buffer);
      joined.set(value, buffer.byteLength);
      buffer = joined;
    }
    if (!header) {
      const head = take(12);
      if (head) {
        const view = new DataView(head.buffer, head.byteOffset, 12);
        if (view.getUint32(0, true) !== MAGIC) throw new Error("hot set: not a HOT1 file");
        header = { chunkSize: view.getUint32(4, true), count: view.getUint32(8, true) };
      }
    }
    while (header && seen < header.count && buffer.byteLength >= 8) {
      const view = new DataView(buffer.buffer, buffer.byteOffset, 8);
      const index = view.getUint32(0, true);
      const length = view.getUint32(4, true);
      if (length > header.chunkSize)
        throw new Error(`hot set: chunk ${seen} (index ${index}) has a bad length ${length}`);
      if (buffer.byteLength < 8 + length) break;
      take(8);
      batch.push({ index, data: take(length)!.slice() });
      batchSize += length;
      seen++;
      if (batchSize >= batchBytes) {
        await onBatch(header.chunkSize, batch);
        batch = [];
        batchSize = 0;
      }
    }
    if (done) break;
  }
  if (!header || seen !== header.count)
    throw new Error(`hot set: truncated at chunk ${seen} of ${header?.count ?? "?"}`);
  if (batch.length > 0) await onBatch(header.chunkSize, batch);
  return seen;
}
