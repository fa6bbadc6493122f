// The hot set: the root-disk chunks the first commands read, recorded when the state is built
// and shipped beside it as one gzip stream, so a cold start makes one request instead of
// hundreds of sequential Range requests. gzip because every browser decodes it natively
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

/** Parses a decompressed hot set; throws with the reason when it is malformed. */
export function decodeHotSet(bytes: Uint8Array): { chunkSize: number; chunks: HotChunk[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || view.getUint32(0, true) !== MAGIC)
    throw new Error("hot set: not a HOT1 file");
  const chunkSize = view.getUint32(4, true);
  const count = view.getUint32(8, true);
  const chunks: HotChunk[] = [];
  let at = 12;
  for (let i = 0; i < count; i++) {
    if (at + 8 > bytes.byteLength) throw new Error(`hot set: truncated at chunk ${i} of ${count}`);
    const index = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    if (at + 8 + length > bytes.byteLength || length > chunkSize)
      throw new Error(`hot set: chunk ${i} (index ${index}) has a bad length ${length}`);
    chunks.push({ index, data: bytes.slice(at + 8, at + 8 + length) });
    at += 8 + length;
  }
  return { chunkSize, chunks };
}

export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
