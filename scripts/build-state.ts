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
  readGuestManifest,
  restoredMachine,
  stateDir,
  statePaths,
} from "../src/vm/node.ts";
import type { StateManifest } from "../src/vm/protocol.ts";
import { encodeHotSet } from "../src/vm/worker/hotset.ts";
import { warmUp } from "../src/vm/warmup.ts";

const HOT_CHUNK = 64 * 1024;
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

/** Restores the state and records which root-disk chunks the first commands read. */
async function recordHotSet(): Promise<{ chunks: Set<number>; restoreReadyMs: number }> {
  const machine = restoredMachine();
  const chunks = new Set<number>();
  const disk = () => machine.diskBuffer;
  const started = Date.now();
  try {
    const loaded = new Promise<void>((resolve) =>
      machine.emulator.add_listener("emulator-loaded", () => resolve()),
    );
    const ready = machine.start();
    await loaded;
    const d = disk();
    if (d) {
      const get = d.get.bind(d);
      d.get = (offset, len, fn, options) => {
        for (let c = Math.floor(offset / HOT_CHUNK); c * HOT_CHUNK < offset + len; c++) {
          chunks.add(c);
        }
        get(offset, len, fn, options);
      };
    }
    await ready;
    const restoreReadyMs = Date.now() - started;
    // What a learner does first: look around, then run something.
    await machine.exec(["docker", "version"]);
    await machine.exec(["docker", "ps", "-a"]);
    await machine.exec(["docker", "images"]);
    await machine.exec(["docker", "info"]);
    await warmUp(machine);
    return { chunks, restoreReadyMs };
  } finally {
    await machine.dispose();
  }
}

async function main() {
  const force = process.argv.includes("--force");
  const guest = readGuestManifest();
  const paths = statePaths(guest.hash);
  if (!force && fs.existsSync(paths.json) && fs.existsSync(paths.bin)) {
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
    raw = new Uint8Array(await machine.save());
  } finally {
    await machine.dispose();
  }
  for (const old of fs.readdirSync(stateDir)) fs.rmSync(path.join(stateDir, old));
  zstd(raw, paths.bin);
  const bin = fs.readFileSync(paths.bin);
  const manifest: StateManifest & { hotFile?: string; hotBytes?: number; hotChunkBytes?: number } =
    {
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

  const { chunks, restoreReadyMs } = await recordHotSet();
  const image = fs.openSync(
    path.join(path.dirname(paths.bin), "../guest", guest.files.rootfs.file),
    "r",
  );
  const hot = [...chunks]
    .sort((a, b) => a - b)
    .map((index) => {
      const data = Buffer.alloc(HOT_CHUNK);
      const n = fs.readSync(image, data, 0, HOT_CHUNK, index * HOT_CHUNK);
      return { index, data: data.subarray(0, n) };
    });
  fs.closeSync(image);
  const hotFile = `${guest.hash}.hot.gz`;
  const hotGz = zlib.gzipSync(encodeHotSet(HOT_CHUNK, hot), { level: 9 });
  fs.writeFileSync(path.join(stateDir, hotFile), hotGz);
  Object.assign(manifest, { hotFile, hotBytes: hotGz.byteLength, hotChunkBytes: HOT_CHUNK });
  fs.writeFileSync(paths.json, JSON.stringify(manifest, null, 2) + "\n");
  log(
    `hot set: ${hot.length} chunks (${((hot.length * HOT_CHUNK) / 1e6).toFixed(1)} MB, ` +
      `${(hotGz.byteLength / 1e6).toFixed(1)} MB gzip); restore → ready ${restoreReadyMs} ms; ` +
      `done in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

main().catch((e) => {
  console.error(`[build:state] error: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
