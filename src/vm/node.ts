// Node-only: builds a Machine from the files `npm run build:guest` / `build:state` wrote.
// (The browser worker gets the same files over HTTP instead.)
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Machine, type MachineOptions } from "./machine.ts";
import type { GuestManifest, StateManifest } from "./protocol.ts";
import { attachRegistry, type AttachOptions } from "./registry/attach.ts";
import { fileBlobFetcher, type BundledIndex } from "./registry/bundled.ts";
import type { V86Bus } from "./registry/server.ts";
import { MemoryStore } from "./registry/store.ts";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const guestDir = path.join(projectRoot, "vm-images/out/guest");
export const stateDir = path.join(projectRoot, "vm-images/out/state");

export class MissingArtifactError extends Error {}
export class CorruptStateError extends Error {}

export function readGuestManifest(): GuestManifest {
  const file = path.join(guestDir, "manifest.json");
  if (!fs.existsSync(file)) {
    throw new MissingArtifactError(`no guest at ${file}: run \`npm run build:guest\``);
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as GuestManifest;
}

export function statePaths(hash: string) {
  return {
    json: path.join(stateDir, `${hash}.json`),
    bin: path.join(stateDir, `${hash}.bin.zst`),
  };
}

export function readStateManifest(guest: GuestManifest): StateManifest {
  const { json, bin } = statePaths(guest.hash);
  if (!fs.existsSync(json) || !fs.existsSync(bin)) {
    throw new MissingArtifactError(
      `no saved state for guest ${guest.hash}: run \`npm run build:state\``,
    );
  }
  return JSON.parse(fs.readFileSync(json, "utf8")) as StateManifest;
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

export function nodeMachineOptions(
  guest: GuestManifest,
  extra: Partial<MachineOptions> = {},
): MachineOptions {
  const require = createRequire(import.meta.url);
  // V86_WASM: another build of v86.wasm, for dev probes (e.g. one with other JIT constants).
  const wasmPath =
    process.env.V86_WASM ?? path.join(path.dirname(require.resolve("v86")), "v86.wasm");
  const file = (f: { file: string }) => ({
    buffer: toArrayBuffer(fs.readFileSync(path.join(guestDir, f.file))),
  });
  return {
    assets: {
      wasmPath,
      bios: file(guest.files.bios),
      vgaBios: file(guest.files.vgaBios),
      kernel: file(guest.files.kernel),
      initrd: file(guest.files.initrd),
      rootfs: {
        url: path.join(guestDir, guest.files.rootfs.file),
        async: true,
        size: guest.files.rootfs.size,
      },
    },
    memoryMb: guest.memoryMb,
    cmdline: guest.cmdline,
    ...extra,
  };
}

/** A machine that restores the saved state (the fast path for tests and benchmarks). */
export function restoredMachine(extra: Partial<MachineOptions> = {}): Machine {
  const guest = readGuestManifest();
  const state = readStateManifest(guest);
  const file = statePaths(guest.hash).bin;
  const bin = fs.readFileSync(file);
  if (
    bin.length !== state.compressedBytes ||
    createHash("sha256").update(bin).digest("hex") !== state.sha256
  ) {
    throw new CorruptStateError(
      `the saved state ${file} does not match its manifest (truncated or corrupt): ` +
        "rebuild it with `npm run build:state -- --force`",
    );
  }
  return new Machine(nodeMachineOptions(guest, { initialState: toArrayBuffer(bin), ...extra }));
}

/** A machine that boots from scratch (build:state, the cold-boot benchmark). */
export function bootingMachine(extra: Partial<MachineOptions> = {}): Machine {
  return new Machine(nodeMachineOptions(readGuestManifest(), extra));
}

/**
 * The saved state if it is there and sound, else a cold boot (slower, same guest). `onFallback`
 * hears why the state could not be used.
 */
export function startableMachine(
  onFallback: (why: string) => void,
  extra: Partial<MachineOptions> = {},
): Machine {
  try {
    return restoredMachine(extra);
  } catch (e) {
    if (!(e instanceof CorruptStateError || e instanceof MissingArtifactError)) throw e;
    readGuestManifest(); // a missing guest is not something a cold boot can fix
    onFallback(e.message);
    return bootingMachine({ readyTimeoutMs: 600_000, ...extra });
  }
}

export const imagesDir = path.join(projectRoot, "images-out");

/** The bundled images' index (`npm run build:images`); a clear error when it is missing. */
export function readBundledIndex(): BundledIndex {
  const file = path.join(imagesDir, "index.json");
  if (!fs.existsSync(file))
    throw new MissingArtifactError(`no bundled images at ${file}: run \`npm run build:images\``);
  return JSON.parse(fs.readFileSync(file, "utf8")) as BundledIndex;
}

/**
 * Serves the bundled images to the guest as registry.local:5000 (what the page's worker does),
 * reading blobs from images-out/. Call before `machine.start()`.
 */
export function attachBundledRegistry(
  machine: Machine,
  opts: Pick<AttachOptions, "signal" | "onRequest" | "onMissingImage"> = {},
): { index: BundledIndex; store: MemoryStore; dispose(): void } {
  const index = readBundledIndex();
  const store = new MemoryStore();
  const attached = attachRegistry(machine.emulator as unknown as V86Bus, {
    ...opts,
    store,
    index,
    fetchBlob: fileBlobFetcher(imagesDir, (p) => fs.promises.readFile(p)),
  });
  return { index, store, dispose: () => attached.dispose() };
}

/** One zstd frame (level 3) of a state, as checkpoints were saved before chunks (dev probes). */
export async function zstdPack(raw: Uint8Array): Promise<Uint8Array> {
  const { zstd } = await import("./worker/chunk-codec.ts");
  return zstd(raw, 3);
}
