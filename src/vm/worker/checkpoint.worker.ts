// One checkpoint's heavy work (chunk-codec.ts) in a worker of its own, so the emulator's thread
// keeps running meanwhile, and the wasm heaps it needs (a wasm heap never shrinks) go away with it.
// It loads its wasm as soon as it starts, so a worker started while the emulator saves its state
// is ready when the state is. A save is two requests ("chunk", then "pack" for what the store
// lacks; the state stays here between them); a restore is one ("unpack").
// The packages' browser builds find their wasm beside themselves (`new URL(..., import.meta.url)`,
// which Vite bundles as an asset).
import { DamagedPackError, type ChunkManifest, type NewPack } from "./chunks.ts";
import { chunkState, packChunks, unpackState } from "./chunk-codec.ts";

export type CheckpointRequest =
  | { type: "chunk"; raw: Uint8Array }
  | { type: "pack"; packs: Pick<NewPack, "ranges" | "rawBytes">[] }
  | {
      type: "unpack";
      manifest: Pick<ChunkManifest, "rawBytes" | "runs">;
      packs: Uint8Array[];
      checksums: string[];
    };

export type CheckpointReply =
  | { ok: true; type: "chunk"; ends: Uint32Array; hashes: string[]; ms: number }
  | { ok: true; type: "pack"; packs: { bytes: Uint8Array; checksum: string }[]; ms: number }
  | { ok: true; type: "unpack"; raw: Uint8Array; ms: number }
  | { ok: false; error: string; damaged?: { pack: number | undefined } };

let state: Uint8Array | undefined;

async function answer(request: CheckpointRequest): Promise<CheckpointReply> {
  const started = performance.now();
  const ms = () => performance.now() - started;
  switch (request.type) {
    case "chunk": {
      state = request.raw;
      const { ends, hashes } = await chunkState(state);
      return { ok: true, type: "chunk", ends, hashes, ms: ms() };
    }
    case "pack": {
      if (!state) throw new Error("no state to pack");
      const packs = [];
      for (const pack of request.packs) packs.push(await packChunks(state, pack));
      return { ok: true, type: "pack", packs, ms: ms() };
    }
    case "unpack": {
      const raw = await unpackState(request.manifest, request.packs, request.checksums);
      return { ok: true, type: "unpack", raw, ms: ms() };
    }
  }
}

function transferables(reply: CheckpointReply): ArrayBuffer[] {
  if (!reply.ok) return [];
  if (reply.type === "pack") return reply.packs.map((p) => p.bytes.buffer as ArrayBuffer);
  if (reply.type === "unpack") return [reply.raw.buffer as ArrayBuffer];
  return [reply.ends.buffer as ArrayBuffer];
}

self.onmessage = async (event: MessageEvent<CheckpointRequest>) => {
  let reply: CheckpointReply;
  try {
    reply = await answer(event.data);
  } catch (error) {
    const damaged = error instanceof DamagedPackError ? { pack: error.pack } : undefined;
    reply = { ok: false, error: error instanceof Error ? error.message : String(error), damaged };
  }
  self.postMessage(reply, { transfer: transferables(reply) });
};
