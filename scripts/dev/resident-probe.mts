// Dev: how much of a cold `docker ps` after a restore is page faults (binaries evicted before the
// save) and how much is v86's cold JIT? Restores the base state and times the first looks; then
// saves the machine with those pages resident, restores that in a fresh emulator (cold JIT,
// warm page cache) and times them again. Usage: npx tsx scripts/dev/resident-probe.mts
import { zstdPack } from "../../src/vm/node.ts";
import { restoredMachine } from "../../src/vm/node.ts";
import type { Machine } from "../../src/vm/machine.ts";

const LOOKS = ["docker ps", "docker ps", "docker images", "docker version", "docker ps"];

async function time(machine: Machine, label: string) {
  for (const look of LOOKS) {
    const t = performance.now();
    const r = await machine.exec(["sh", "-c", `${look} >/dev/null`], { timeoutMs: 300_000 });
    console.log(`${label}: ${look} ${Math.round(performance.now() - t)} ms (exit ${r.exit})`);
  }
  const mem = await machine.exec(["sh", "-c", "grep -E '^(MemFree|Cached)' /proc/meminfo"]);
  console.log(mem.stdout.trim().replace(/\s+/g, " "));
}

const base = restoredMachine();
await base.start();
await time(base, "base state");
const raw = new Uint8Array(await base.save());
await base.dispose();
const packed = await zstdPack(raw);
console.log(
  `resident state ${(raw.byteLength / 1e6).toFixed(1)} MB raw, ${(packed.byteLength / 1e6).toFixed(1)} MB zstd`,
);
const again = restoredMachine({
  initialState: raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer,
});
await again.start();
await time(again, "resident");
await again.dispose();
process.exit(0);
