// Where a checkpoint's heavy work runs (see chunks.ts and chunk-codec.ts): in the page, a worker
// of its own per checkpoint (checkpoint.worker.ts), started while v86 saves so it is ready when the
// state is; in Node and where a worker cannot start, in the caller's thread.
import type { ChunkManifest, NewPack } from "./chunks.ts";
import { DamagedPackError } from "./chunks.ts";
import type { CheckpointReply, CheckpointRequest } from "./checkpoint.worker.ts";

/** zstd's magic number, as the first four bytes of a frame (checkpoints saved before chunks). */
export function isZstd(bytes: Uint8Array): boolean {
  return bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd;
}

/** One save's state, cut and named; it keeps the state to pack the new chunks from. */
export interface ChunkSession {
  ends: Uint32Array;
  hashes: string[];
  /** Cutting and hashing, in ms. */
  chunkMs: number;
  pack(packs: Pick<NewPack, "ranges" | "rawBytes">[]): Promise<{
    packs: { bytes: Uint8Array; checksum: string }[];
    ms: number;
  }>;
  close(): void;
}

export interface CheckpointCodec {
  /** Gets ready for the next chunk() or unpack() (a worker starts loading its wasm). */
  prepare?(): void;
  /** Takes over `raw` (unusable afterwards in the page). */
  chunk(raw: Uint8Array): Promise<ChunkSession>;
  /** The state a manifest describes; DamagedPackError if its packs do not fit. */
  unpack(
    manifest: Pick<ChunkManifest, "rawBytes" | "runs">,
    packs: Uint8Array[],
    checksums: string[],
  ): Promise<Uint8Array>;
}

/** In the caller's thread (Node tests and benchmarks; the page where workers cannot start). */
export const localCodec: CheckpointCodec = {
  async chunk(raw) {
    const codec = await import("./chunk-codec.ts");
    const started = performance.now();
    const { ends, hashes } = await codec.chunkState(raw);
    return {
      ends,
      hashes,
      chunkMs: performance.now() - started,
      async pack(packs) {
        const t = performance.now();
        const out = [];
        for (const pack of packs) out.push(await codec.packChunks(raw, pack));
        return { packs: out, ms: performance.now() - t };
      },
      close() {},
    };
  },
  async unpack(manifest, packs, checksums) {
    return (await import("./chunk-codec.ts")).unpackState(manifest, packs, checksums);
  },
};

/** A worker that does not answer in this long is stopped (the save or restore fails, plainly). */
const WORKER_TIMEOUT_MS = 60_000;

/** A checkpoint worker, started (and loading its wasm) at once. */
function startWorker() {
  const worker = new Worker(new URL("./checkpoint.worker.ts", import.meta.url), {
    type: "module",
  });
  let pending: ((reply: CheckpointReply) => void) | undefined;
  let failed: string | undefined;
  let answered = false;
  /** It never answered anything: it could not start (or load its wasm) here. */
  let unstartable = false;
  const fail = (error: string) => {
    worker.terminate();
    failed ??= error;
    pending?.({ ok: false, error });
  };
  worker.onmessage = (event: MessageEvent<CheckpointReply>) => {
    answered = true;
    pending?.(event.data);
  };
  worker.onerror = (event) => {
    unstartable = !answered;
    fail(event.message || "failed to start");
  };
  worker.onmessageerror = () => fail("could not read its answer");
  const ask = <T extends Extract<CheckpointReply, { ok: true }>["type"]>(
    request: CheckpointRequest,
    transfer: ArrayBuffer[],
  ): Promise<Extract<CheckpointReply, { ok: true; type: T }>> =>
    new Promise((resolve, reject) => {
      if (failed !== undefined) return reject(new Error(`checkpoint worker: ${failed}`));
      const timer = setTimeout(() => fail("did not answer in 60 s"), WORKER_TIMEOUT_MS);
      pending = (reply) => {
        clearTimeout(timer);
        pending = undefined;
        if (reply.ok) resolve(reply as Extract<CheckpointReply, { ok: true; type: T }>);
        else if (reply.damaged) reject(new DamagedPackError(reply.error, reply.damaged.pack));
        else reject(new Error(`checkpoint worker: ${reply.error}`));
      };
      worker.postMessage(request, transfer);
    });
  return {
    ask,
    stop: () => worker.terminate(),
    get unstartable() {
      return unstartable;
    },
  };
}

/** The page's codec (see the top of this file). */
export function workerCodec(): Required<CheckpointCodec> {
  /** Workers cannot start here (none at all, or one failed to): the caller's thread does it. */
  let local = typeof Worker === "undefined";
  let next: ReturnType<typeof startWorker> | undefined;
  const take = () => {
    const worker = next ?? startWorker();
    next = undefined;
    return worker;
  };
  const noted = (worker: ReturnType<typeof startWorker>) => {
    if (worker.unstartable) local = true;
  };
  return {
    prepare() {
      if (!local) next ??= startWorker();
    },
    async chunk(raw) {
      if (local) return localCodec.chunk(raw);
      const worker = take();
      if (worker.unstartable) {
        // Known before the state was handed over: this save can still be done here.
        noted(worker);
        return localCodec.chunk(raw);
      }
      try {
        const chunked = await worker.ask<"chunk">({ type: "chunk", raw }, [
          raw.buffer as ArrayBuffer,
        ]);
        return {
          ends: chunked.ends,
          hashes: chunked.hashes,
          chunkMs: chunked.ms,
          async pack(packs) {
            const only = packs.map(({ ranges, rawBytes }) => ({ ranges, rawBytes }));
            const packed = await worker.ask<"pack">({ type: "pack", packs: only }, []);
            return { packs: packed.packs, ms: packed.ms };
          },
          close: () => worker.stop(),
        };
      } catch (error) {
        worker.stop();
        noted(worker);
        throw error;
      }
    },
    async unpack(manifest, packs, checksums) {
      if (local) return localCodec.unpack(manifest, packs, checksums);
      const worker = take();
      if (worker.unstartable) {
        noted(worker);
        return localCodec.unpack(manifest, packs, checksums);
      }
      try {
        const transfer = packs.map((p) => p.buffer as ArrayBuffer);
        const request: CheckpointRequest = { type: "unpack", manifest, packs, checksums };
        return (await worker.ask<"unpack">(request, transfer)).raw;
      } finally {
        worker.stop();
        noted(worker);
      }
    },
  };
}
