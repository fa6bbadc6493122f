// Compresses one machine state with zstd (level 3) and ends: a worker of its own, so the
// emulator's thread keeps running meanwhile, and the wasm heap the compression needs (about twice
// the state, and a wasm heap never shrinks) goes away with it. The package's browser build finds
// its zstd.wasm beside itself (`new URL(..., import.meta.url)`, which Vite bundles as an asset).
import { compress, init } from "@bokuweb/zstd-wasm";

export interface ZstdRequest {
  raw: Uint8Array;
  level: number;
}

export type ZstdReply = { ok: true; bytes: Uint8Array } | { ok: false; error: string };

self.onmessage = async (event: MessageEvent<ZstdRequest>) => {
  let reply: ZstdReply;
  try {
    await init();
    reply = { ok: true, bytes: compress(event.data.raw, event.data.level) };
  } catch (error) {
    reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  self.postMessage(reply, { transfer: reply.ok ? [reply.bytes.buffer as ArrayBuffer] : [] });
};
