// Dev: how long zstd-wasm (the page's checkpoint packer) takes on a used machine's state, per
// level. Restores, does a learner's first lessons' work, saves, compresses the raw state.
// Usage: npx tsx scripts/dev/zstd-levels.mts
import { compress, init } from "@bokuweb/zstd-wasm";
import { attachBundledRegistry, restoredMachine } from "../../src/vm/node.ts";

const machine = restoredMachine();
attachBundledRegistry(machine);
await machine.start();
const work =
  "docker run --rm hello-world >/dev/null && docker pull nginx >/dev/null && docker run -d --name web -p 8080:80 nginx >/dev/null && docker ps";
const r = await machine.exec(["sh", "-c", work], { timeoutMs: 600_000 });
console.log("work exit", r.exit, r.stderr.slice(-200));
await init();
const sh = async (cmd: string) => {
  const t0 = performance.now();
  const r = await machine.exec(["sh", "-c", cmd], { timeoutMs: 300_000 });
  console.log(`${cmd}: ${Math.round(performance.now() - t0)} ms\n${r.stdout.trim()}`);
};
const save = async (label: string) => {
  const t = performance.now();
  const raw = new Uint8Array(await machine.save());
  console.log(
    `${label}: save_state ${Math.round(performance.now() - t)} ms, raw ${(raw.byteLength / 1e6).toFixed(1)} MB`,
  );
  for (const level of [3, 1]) {
    const t0 = performance.now();
    const out = compress(raw, level);
    console.log(
      `  level ${level}: ${Math.round(performance.now() - t0)} ms, ${(out.byteLength / 1e6).toFixed(1)} MB`,
    );
  }
};
const MEM =
  "grep -E 'MemFree|^Cached|Buffers|AnonPages|Shmem:' /proc/meminfo | tr -s ' ' | tr '\\n' ' '";
await sh(`losetup -a; ${MEM}`);
await save("as used");
await sh(`sync; echo 1 > /proc/sys/vm/drop_caches; ${MEM}`);
await save("after drop_caches 1");
await sh("docker ps >/dev/null");
await sh("docker images >/dev/null");
await machine.dispose();
process.exit(0);
