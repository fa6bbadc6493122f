// zstd for checkpoints: v86 restores a zstd state by itself (one frame only: two concatenated
// frames crash its decoder), so a checkpoint needs no decompression step before a restore, and
// zstd packs a state several times faster than the browser's gzip and a little smaller.
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

/**
 * Level 1, not zstd's default 3: a used machine's state (264 MB raw after pulling nginx) packs in
 * 1.0 s instead of 2.0 s (Node; the page took 3.3 s at level 3) to 93 MB instead of 82 MB
 * (`scripts/dev/zstd-levels.mts`). A checkpoint is saved at every pause; its size costs less.
 */
export const CHECKPOINT_LEVEL = 1;

/** A zstd worker that does not answer in this long is stopped (the save fails, plainly). */
const ZSTD_TIMEOUT_MS = 60_000;

/** What one compression took, for the checkpoint's timeline. */
export interface ZstdTimings {
  /** From asking to the bytes back: waiting for the worker's start, compressing, copying. */
  totalMs: number;
  /** zstd itself, inside the worker. */
  compressMs: number;
}

/**
 * A zstd worker for one state, started (and compiling its wasm) at once: `compress` hands the
 * state over (it is unusable afterwards) and the worker ends with the answer or an error.
 */
export function startZstdWorker(level = CHECKPOINT_LEVEL): {
  compress(raw: Uint8Array): Promise<{ bytes: Uint8Array; timings: ZstdTimings }>;
  stop(): void;
} {
  const worker = new Worker(new URL("./zstd.worker.ts", import.meta.url), { type: "module" });
  let settle: ((reply: ZstdReply) => void) | undefined;
  let failed: string | undefined;
  const end = (reply: ZstdReply) => {
    worker.terminate();
    if (settle) settle(reply);
    else if (!reply.ok) failed = reply.error;
  };
  worker.onmessage = (event: MessageEvent<ZstdReply>) => end(event.data);
  worker.onerror = (event) => end({ ok: false, error: event.message || "failed to start" });
  return {
    compress(raw) {
      const started = performance.now();
      return new Promise((resolve, reject) => {
        if (failed !== undefined) return reject(new Error(`zstd worker: ${failed}`));
        const timer = setTimeout(
          () => end({ ok: false, error: "did not answer in 60 s" }),
          ZSTD_TIMEOUT_MS,
        );
        settle = (reply) => {
          clearTimeout(timer);
          if (!reply.ok) return reject(new Error(`zstd worker: ${reply.error}`));
          const timings = { totalMs: performance.now() - started, compressMs: reply.compressMs };
          resolve({ bytes: reply.bytes, timings });
        };
        const request: ZstdRequest = { raw, level };
        worker.postMessage(request, [raw.buffer as ArrayBuffer]);
      });
    },
    stop: () => worker.terminate(),
  };
}

/** The page's checkpoint packer (see zstdPacker). */
export interface ZstdPacker {
  (raw: Uint8Array): Promise<Uint8Array>;
  /** Starts the next pack's worker now (while the emulator saves), so it is ready in time. */
  prepare(): void;
  /** What the last zstd pack took, or undefined if it went to the fallback. */
  readonly last: ZstdTimings | undefined;
}

/**
 * The page's checkpoint packer: zstd in its own worker; gzip (`fallback`) for a state too large
 * for it, where workers cannot start workers, and for good once the zstd worker failed (that one
 * save fails: its state went to the worker).
 */
export function zstdPacker(fallback: (raw: Uint8Array) => Promise<Uint8Array>): ZstdPacker {
  let broken = typeof Worker === "undefined";
  let next: ReturnType<typeof startZstdWorker> | undefined;
  let last: ZstdTimings | undefined;
  const pack = async (raw: Uint8Array) => {
    last = undefined;
    const worker = next;
    next = undefined;
    if (broken || raw.byteLength > ZSTD_MAX_BYTES) {
      worker?.stop();
      return fallback(raw);
    }
    try {
      const { bytes, timings } = await (worker ?? startZstdWorker()).compress(raw);
      last = timings;
      return bytes;
    } catch (error) {
      broken = true;
      throw error;
    }
  };
  return Object.defineProperties(pack, {
    prepare: {
      value: () => {
        if (!broken && !next) next = startZstdWorker();
      },
    },
    last: { get: () => last },
  }) as ZstdPacker;
}
