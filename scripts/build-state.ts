// Boots the guest once in Node, waits until dockerd answers through the agent, shrinks what the
// state will hold, and saves the emulator state (zstd) named by the guest's hash. Then restores it
// once to record the "hot set": the root-disk chunks the first commands read after a restore.
//
//   npm run build:state            build if missing for the current guest
//   npm run build:state -- --force rebuild
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import type { Machine } from "../src/vm/machine.ts";
import {
  bootingMachine,
  guestDir,
  readGuestManifest,
  restoredMachine,
  stateDir,
  statePaths,
} from "../src/vm/node.ts";
import type { DiskPack, GuestManifest, StateManifest } from "../src/vm/protocol.ts";
import { encodeHotSet } from "../src/vm/worker/hotset.ts";
import { FIRST_LOOK, warmUp } from "../src/vm/warmup.ts";

// The page's disk chunk: small, so packs carry little that is never read (see sandbox-init's
// read_ahead_kb); the worker's disk uses the size the manifest names.
const HOT_CHUNK = 16 * 1024;
const log = (...a: unknown[]) => console.error("[build:state]", ...a);

/** Shell run in the guest right before saving: what it frees costs nothing in the state. */
const SHRINK = `
sync
echo 3 > /proc/sys/vm/drop_caches
# Evicts the mapped binaries too (the write fails with EAGAIN, but the pages go).
echo 400M > /sys/fs/cgroup/memory.reclaim 2>/dev/null
echo 3 > /proc/sys/vm/drop_caches
# Pages freed by reclaim are not zeroed; fill free memory with zeros once and let go of it.
free_mb=$(awk '/MemFree/ {print int($2 / 1024)}' /proc/meminfo)
mkdir -p /run/zero && mount -t tmpfs -o size=$((free_mb - 40))m tmpfs /run/zero
dd if=/dev/zero of=/run/zero/fill bs=1M 2>/dev/null
rm -f /run/zero/fill && umount /run/zero && rmdir /run/zero
echo 3 > /proc/sys/vm/drop_caches
grep -E 'MemTotal|MemFree|^Cached' /proc/meminfo
`;

/** Run after SHRINK: the first look's commands, so their pages are resident in the state. */
const RESIDENT = `
${FIRST_LOOK.map((argv) => `${argv.join(" ")} >/dev/null`).join("\n")}
sync
grep -E 'MemFree|^Cached' /proc/meminfo
`;

/**
 * Each learner shell redraws its prompt once (a size change: SIGWINCH), so what bash and
 * readline need for that is resident too: after a restore the page changes the size the same way
 * to get a prompt on its empty terminal. The size ends as it was.
 */
async function redrawPrompts(machine: Machine): Promise<void> {
  for (const port of [1, 2] as const) {
    const size = await run(machine, `stty -F /dev/ttyS${port} size`, `reading ttyS${port}'s size`);
    const [rows, cols] = size.trim().split(/\s+/).map(Number);
    const redrawn = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`the shell on ttyS${port} drew no prompt within 60 s of a resize`));
      }, 60_000);
      const off = machine.on((event) => {
        if (event.type !== "output" || event.port !== port) return;
        if (!new TextDecoder().decode(event.data).includes("#")) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
    await machine.resize(port, rows || 24, (cols || 80) + 1);
    await redrawn;
    await machine.resize(port, rows || 24, cols || 80);
  }
}

/** Files in the guest the tests and the warm-up use: a static busybox root filesystem as a tar. */
const PREPARE = `
set -e
mkdir -p /var/lib/sandbox /tmp/bb/bin
cp /bin/busybox /tmp/bb/bin/busybox
for a in sh echo true cat ls sleep; do ln -sf busybox /tmp/bb/bin/$a; done
tar -C /tmp/bb -cf /var/lib/sandbox/busybox-rootfs.tar .
rm -rf /tmp/bb
`;

function sha256(buf: Uint8Array): string {
  return createHash("sha256").update(buf).digest("hex");
}

async function run(machine: Machine, script: string, what: string) {
  const r = await machine.exec(["sh", "-c", script], { timeoutMs: 120_000 });
  if (r.exit !== 0) throw new Error(`${what} failed (exit ${r.exit}): ${r.stderr}`);
  return r.stdout;
}

function zstd(raw: Uint8Array, file: string) {
  const r = spawnSync("zstd", ["-19", "-T0", "-q", "-f", "-o", file], { input: raw });
  if (r.error || r.status !== 0) {
    throw new Error(
      `zstd failed: ${r.error?.message ?? r.stderr} (install the Debian package zstd)`,
    );
  }
}

/**
 * Restores the state and records which root-disk chunks are read: `boot` until the machine is
 * ready, `warm` by a learner's first look around and the warm-up after that.
 */
async function recordReads(): Promise<{
  boot: Set<number>;
  look: Set<number>;
  warm: Set<number>;
  restoreReadyMs: number;
}> {
  const machine = restoredMachine();
  let reads = new Set<number>();
  const started = Date.now();
  try {
    const loaded = new Promise<void>((resolve) =>
      machine.emulator.add_listener("emulator-loaded", () => resolve()),
    );
    const ready = machine.start();
    await loaded;
    const d = machine.diskBuffer;
    if (d) {
      const get = d.get.bind(d);
      d.get = (offset, len, fn, options) => {
        for (let c = Math.floor(offset / HOT_CHUNK); c * HOT_CHUNK < offset + len; c++) {
          reads.add(c);
        }
        get(offset, len, fn, options);
      };
    }
    await ready;
    const restoreReadyMs = Date.now() - started;
    // Everything after Ready arrives while the learner reads the first lesson.
    const boot = reads;
    reads = new Set<number>();
    // What a learner does first: look around, then run something.
    for (const argv of FIRST_LOOK) await machine.exec([...argv]);
    const look = new Set(reads);
    await warmUp(machine);
    return {
      boot,
      look,
      warm: new Set([...reads].filter((c) => !boot.has(c))),
      restoreReadyMs,
    };
  } finally {
    await machine.dispose();
  }
}

async function main() {
  const force = process.argv.includes("--force");
  const guest = readGuestManifest();
  const paths = statePaths(guest.hash);
  // A state from before the disk packs existed is rebuilt; one from before the warm chunks were
  // listed gets its packs recorded again.
  const built = builtManifest(paths.json);
  const packsOnly =
    process.argv.includes("--packs") ||
    (!force && built?.restPack !== undefined && built.warmChunks === undefined);
  if (packsOnly && built && fs.existsSync(paths.bin)) {
    // Only the disk packs again (after changing how they are recorded): the state stays.
    const manifest = built;
    const { boot, look, warm, restoreReadyMs } = await recordReads();
    writeDiskPacks(guest, manifest, boot, look, warm);
    fs.writeFileSync(paths.json, JSON.stringify(manifest, null, 2) + "\n");
    log(`restore → ready ${restoreReadyMs} ms`);
    return;
  }
  if (!force && fs.existsSync(paths.bin) && built?.restPack) {
    log(`up to date: ${path.relative(process.cwd(), paths.bin)}`);
    return;
  }
  fs.mkdirSync(stateDir, { recursive: true });
  const started = Date.now();
  log(`booting guest ${guest.hash} (${guest.memoryMb} MB)`);
  const machine = bootingMachine({ readyTimeoutMs: 300_000 });
  let raw: Uint8Array;
  let bootReadyMs: number;
  let firstBootFetchBytes: number;
  try {
    await machine.start();
    bootReadyMs = Date.now() - started;
    firstBootFetchBytes = machine.diskBytesFetched();
    log(`dockerd ready after ${(bootReadyMs / 1000).toFixed(1)} s`);
    const info = await machine.api<{ ServerVersion: string; Driver: string }>("GET", "/info");
    if (info.status !== 200) throw new Error(`docker info answered ${info.status}`);
    log(`docker ${info.body.ServerVersion}, storage driver ${info.body.Driver}`);
    await run(machine, PREPARE, "preparing the guest");
    const mem = await run(machine, SHRINK, "shrinking guest memory");
    log(mem.trim().replace(/\s+/g, " "));
    // What a learner's first look runs stays in the guest's page cache, saved with the state: a
    // first `docker ps` after a restore then pays only v86's cold JIT, not also thousands of
    // page faults into the disk (Node: 3.1 s instead of 6.1 s).
    await redrawPrompts(machine);
    const resident = await run(machine, RESIDENT, "reading the first look's pages");
    log(resident.trim().replace(/\s+/g, " "));
    raw = new Uint8Array(await machine.save());
  } finally {
    await machine.dispose();
  }
  for (const old of fs.readdirSync(stateDir)) fs.rmSync(path.join(stateDir, old));
  zstd(raw, paths.bin);
  const bin = fs.readFileSync(paths.bin);
  const manifest: StateManifest = {
    guestHash: guest.hash,
    file: path.basename(paths.bin),
    sha256: sha256(bin),
    rawBytes: raw.byteLength,
    compressedBytes: bin.byteLength,
    bootReadyMs,
    firstBootFetchBytes,
  };
  // The state must exist on disk before it can be restored for the hot set.
  fs.writeFileSync(paths.json, JSON.stringify(manifest, null, 2) + "\n");
  log(
    `state ${(raw.byteLength / 1e6).toFixed(1)} MB raw, ${(bin.byteLength / 1e6).toFixed(1)} MB zstd`,
  );

  const { boot, look, warm, restoreReadyMs } = await recordReads();
  writeDiskPacks(guest, manifest, boot, look, warm);
  fs.writeFileSync(paths.json, JSON.stringify(manifest, null, 2) + "\n");
  log(
    `restore → ready ${restoreReadyMs} ms; done in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

/** The state's manifest as built, or undefined when there is none (or it is unreadable). */
function builtManifest(jsonPath: string): StateManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(jsonPath, "utf8")) as StateManifest;
  } catch {
    return undefined;
  }
}

/**
 * Writes the root disk beside the state as three gzip packs, by when a browser needs them:
 * `boot` (read from restore until Ready: fetched before restoring), `warm` (read by the first
 * docker commands and the warm-up: fetched right after Ready) and `rest` (every other chunk
 * holding data: fetched in the background, after which the sandbox works with no network).
 */
function writeDiskPacks(
  guest: GuestManifest,
  manifest: StateManifest,
  boot: Set<number>,
  look: Set<number>,
  warm: Set<number>,
): void {
  const image = fs.openSync(path.join(guestDir, guest.files.rootfs.file), "r");
  const used = usedChunks(image, guest.files.rootfs.size);
  const read = (index: number) => {
    const data = Buffer.alloc(HOT_CHUNK);
    const n = fs.readSync(image, data, 0, HOT_CHUNK, index * HOT_CHUNK);
    return { index, data: data.subarray(0, n) };
  };
  const usedSet = new Set(used);
  const sets: Record<"boot" | "warm" | "rest", number[]> = {
    // Chunks without data are answered by the page itself (usedChunks): never shipped.
    boot: [...boot].filter((c) => usedSet.has(c)).sort((a, b) => a - b),
    warm: [...warm].filter((c) => usedSet.has(c)).sort((a, b) => a - b),
    rest: used.filter((c) => !boot.has(c) && !warm.has(c)),
  };
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const packs: Partial<Record<"bootPack" | "warmPack" | "restPack", DiskPack>> = {};
  for (const [name, indices] of Object.entries(sets) as ["boot" | "warm" | "rest", number[]][]) {
    const file = `${guest.hash}.${name}.gz`;
    const gz = zlib.gzipSync(encodeHotSet(HOT_CHUNK, indices.map(read)), { level: 9 });
    fs.writeFileSync(path.join(stateDir, file), gz);
    packs[`${name}Pack`] = { file, bytes: gz.byteLength, chunks: indices.length };
    log(
      `disk pack ${name}: ${indices.length} chunks (${mb(indices.length * HOT_CHUNK)} MB, ` +
        `${mb(gz.byteLength)} MB gzip)`,
    );
  }
  fs.closeSync(image);
  const lookChunks = [...look].filter((c) => usedSet.has(c)).sort((a, b) => a - b);
  log(`first look: ${lookChunks.length} chunks (${mb(lookChunks.length * HOT_CHUNK)} MB)`);
  Object.assign(manifest, {
    diskChunkBytes: HOT_CHUNK,
    ...packs,
    usedChunks: toRuns(used),
    lookChunks: toRuns(lookChunks),
    warmChunks: toRuns(sets.warm),
  });
}

/** Indices of the root image's chunks that hold any non-zero byte. */
function usedChunks(fd: number, size: number): number[] {
  const used: number[] = [];
  const data = Buffer.alloc(HOT_CHUNK);
  for (let index = 0; index * HOT_CHUNK < size; index++) {
    const n = fs.readSync(fd, data, 0, HOT_CHUNK, index * HOT_CHUNK);
    const view = new BigUint64Array(data.buffer, data.byteOffset, Math.floor(n / 8));
    if (view.some((word) => word !== 0n) || data.subarray(view.length * 8, n).some((b) => b !== 0))
      used.push(index);
  }
  return used;
}

/** [first, count] runs of consecutive indices: a compact map for the manifest. */
function toRuns(indices: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const index of indices) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === index) last[1]++;
    else out.push([index, 1]);
  }
  return out;
}

main().catch((e) => {
  console.error(`[build:state] error: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
