// Dev: how much of a first `docker run` after a restore is the cold page cache and how much the
// cold JIT. Restores the base state, times first commands, warms up, saves the machine as is
// (page cache warm) and after drop_caches, then restores each in a fresh emulator and times the
// same commands again. Usage: flock /tmp/v86.lock npx tsx scripts/dev/warm-state.mts
import { spawnSync } from "node:child_process";
import { Machine } from "../../src/vm/machine.ts";
import { nodeMachineOptions, readGuestManifest, restoredMachine } from "../../src/vm/node.ts";
import { importBusybox } from "../../test/helpers/guest.ts";

const sh = async (machine: Machine, cmd: string) => {
  const t = performance.now();
  const r = await machine.exec(["sh", "-c", `${cmd} 2>&1`], { timeoutMs: 300_000 });
  return { ms: Math.round(performance.now() - t), out: (r.stdout + r.stderr).trim() };
};
async function firsts(machine: Machine, label: string) {
  const ps = await sh(machine, "docker ps");
  const r1 = await sh(machine, "docker run --rm busybox true");
  const r2 = await sh(machine, "docker run --rm busybox true");
  const r3 = await sh(machine, "docker run --rm busybox true");
  console.log(`${label}: docker ps ${ps.ms} ms, runs ${r1.ms} / ${r2.ms} / ${r3.ms} ms`);
}
const zstdSize = (raw: Uint8Array) => {
  const r = spawnSync("zstd", ["-19", "-T2", "-c"], { input: raw, maxBuffer: 1 << 30 });
  return (r.stdout.byteLength / 1e6).toFixed(1);
};

const base = restoredMachine();
let t = performance.now();
await base.start();
console.log(`base ready ${Math.round(performance.now() - t)} ms`);
await importBusybox(base);
await firsts(base, "base state");
await sh(base, "sync");
const states: [string, Uint8Array][] = [];
states.push(["warm as is", new Uint8Array(await base.save())]);
console.log(
  (
    await sh(
      base,
      "sync; echo 3 > /proc/sys/vm/drop_caches; grep -E 'MemFree|^Cached' /proc/meminfo",
    )
  ).out,
);
states.push(["warm after drop_caches", new Uint8Array(await base.save())]);
await base.dispose();
for (const [label, raw] of states) {
  console.log(`${label}: ${(raw.byteLength / 1e6).toFixed(1)} MB raw, ${zstdSize(raw)} MB zstd-19`);
  const m = new Machine(
    nodeMachineOptions(readGuestManifest(), { initialState: raw.buffer as ArrayBuffer }),
  );
  t = performance.now();
  await m.start();
  console.log(`${label}: ready ${Math.round(performance.now() - t)} ms`);
  await firsts(m, label);
  await m.dispose();
}
process.exit(0);
