// zstd for checkpoints: v86 restores a zstd state by itself (one frame), so a checkpoint needs no
// decompression step before a restore, and zstd level 3 packs a state 4-7x faster than the
// browser's gzip (an 80 MB state: 0.5 s against 2-3.7 s in Node) and a little smaller.
import type { ZstdReply, ZstdRequest } from "./zstd.worker.ts";

/** zstd's magic number, as the first four bytes of a frame. */
export function isZstd(bytes: Uint8Array): boolean {
  return bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd;
}

/**
 * Above this a state goes to gzip instead: one-shot zstd holds the input and the output bound in
 * a wasm heap (2 GB at most), where gzip streams. A used 512 MB guest's state is 120-175 MB.
 */
export const ZSTD_MAX_BYTES = 600 * 2 ** 20;

/** A zstd worker that does not answer in this long is stopped (the save fails, plainly). */
const ZSTD_TIMEOUT_MS = 60_000;

/** Compresses `raw` (handed over: it is unusable afterwards) in a short-lived worker. */
export function zstdInWorker(raw: Uint8Array, level = 3): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./zstd.worker.ts", import.meta.url), { type: "module" });
    const timer = setTimeout(() => fail("did not answer in 60 s"), ZSTD_TIMEOUT_MS);
    function fail(why: string) {
      clearTimeout(timer);
      worker.terminate();
      reject(new Error(`zstd worker: ${why}`));
    }
    worker.onmessage = (event: MessageEvent<ZstdReply>) => {
      if (!event.data.ok) return fail(event.data.error);
      clearTimeout(timer);
      worker.terminate();
      resolve(event.data.bytes);
    };
    worker.onerror = (event) => fail(event.message || "failed to start");
    const request: ZstdRequest = { raw, level };
    worker.postMessage(request, [raw.buffer as ArrayBuffer]);
  });
}

/**
 * The page's checkpoint packer: zstd in its own worker; gzip (`fallback`) for a state too large
 * for it, where workers cannot start workers, and for good once the zstd worker failed (that one
 * save fails: its state went to the worker).
 */
export function zstdPacker(
  fallback: (raw: Uint8Array) => Promise<Uint8Array>,
): (raw: Uint8Array) => Promise<Uint8Array> {
  let broken = typeof Worker === "undefined";
  return async (raw) => {
    if (broken || raw.byteLength > ZSTD_MAX_BYTES) return fallback(raw);
    try {
      return await zstdInWorker(raw);
    } catch (error) {
      broken = true;
      throw error;
    }
  };
}
