// Compresses one machine state with zstd and ends: a worker of its own, so the
// emulator's thread keeps running meanwhile, and the wasm heap the compression needs (about twice
// the state, and a wasm heap never shrinks) goes away with it. It compiles its wasm as soon as it
// starts, so a worker started while the emulator saves its state is ready when the state is.
// The package's browser build finds its zstd.wasm beside itself (`new URL(..., import.meta.url)`,
// which Vite bundles as an asset).
import { compress, init } from "@bokuweb/zstd-wasm";

export interface ZstdRequest {
  raw: Uint8Array;
  level: number;
}

export type ZstdReply =
  { ok: true; bytes: Uint8Array; compressMs: number } | { ok: false; error: string };

const ready = init();
ready.catch(() => {}); // reported with the request that needs it

self.onmessage = async (event: MessageEvent<ZstdRequest>) => {
  let reply: ZstdReply;
  try {
    await ready;
    const started = performance.now();
    const bytes = compress(event.data.raw, event.data.level);
    reply = { ok: true, bytes, compressMs: performance.now() - started };
  } catch (error) {
    reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  self.postMessage(reply, { transfer: reply.ok ? [reply.bytes.buffer as ArrayBuffer] : [] });
};
