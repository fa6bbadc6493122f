// zstd for checkpoints: v86 restores a zstd state by itself (one frame), so a checkpoint needs no
// decompression step before a restore, and zstd level 3 packs a state 4-7x faster than the
// browser's gzip (an 80 MB state: 0.5 s against 2-3.7 s in Node) and a little smaller.
import type { ZstdReply, ZstdRequest } from "./zstd.worker.ts";

/** zstd's magic number, as the first four bytes of a frame. */
export function isZstd(bytes: Uint8Array): boolean {
  return bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd;
}

/** Compresses `raw` (handed over: it is unusable afterwards) in a short-lived worker. */
export function zstdInWorker(raw: Uint8Array, level = 3): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./zstd.worker.ts", import.meta.url), { type: "module" });
    const done = () => worker.terminate();
    worker.onmessage = (event: MessageEvent<ZstdReply>) => {
      done();
      if (event.data.ok) resolve(event.data.bytes);
      else reject(new Error(`zstd: ${event.data.error}`));
    };
    worker.onerror = (event) => {
      done();
      reject(new Error(`zstd worker: ${event.message || "failed to start"}`));
    };
    const request: ZstdRequest = { raw, level };
    worker.postMessage(request, [raw.buffer as ArrayBuffer]);
  });
}
