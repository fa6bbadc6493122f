// Dev: how big and how slow a checkpoint of a used machine is, with and without freeing memory
// first. Restores the state, does some docker work, then saves three ways.
// Usage: flock /tmp/v86.lock npx tsx scripts/dev/checkpoint-size.mts
import zlib from "node:zlib";
import { restoredMachine } from "../../src/vm/node.ts";
import { importBusybox } from "../../test/helpers/guest.ts";

const machine = restoredMachine();
await machine.start();
await importBusybox(machine);
const sh = async (cmd: string) => {
  const t = performance.now();
  const r = await machine.exec(["sh", "-c", `${cmd} 2>&1`], { timeoutMs: 300_000 });
  return { ms: Math.round(performance.now() - t), out: (r.stdout + r.stderr).trim() };
};
console.log(
  "work",
  (
    await sh(
      "for i in 1 2 3; do docker run --rm busybox true; done; docker run -d --name bg busybox sleep 9999",
    )
  ).ms,
  "ms",
);
const save = async (label: string) => {
  const t = performance.now();
  const raw = new Uint8Array(await machine.save());
  const saveMs = Math.round(performance.now() - t);
  const t2 = performance.now();
  const gz = zlib.gzipSync(raw, { level: 6 });
  const gzMs = Math.round(performance.now() - t2);
  const t3 = performance.now();
  const gz1 = zlib.gzipSync(raw, { level: 1 });
  const gz1Ms = Math.round(performance.now() - t3);
  console.log(
    `${label}: save ${saveMs} ms, raw ${(raw.byteLength / 1e6).toFixed(1)} MB, gzip6 ${(gz.byteLength / 1e6).toFixed(1)} MB in ${gzMs} ms, gzip1 ${(gz1.byteLength / 1e6).toFixed(1)} MB in ${gz1Ms} ms`,
  );
};
await save("as is");
console.log((await sh("grep -E 'MemFree|^Cached' /proc/meminfo")).out);
const drop = await sh(
  "sync; echo 3 > /proc/sys/vm/drop_caches; grep -E 'MemFree|^Cached' /proc/meminfo",
);
console.log(`drop_caches ${drop.ms} ms\n${drop.out}`);
await save("after drop_caches");
const fill = await sh(`free_mb=$(awk '/MemFree/ {print int($2 / 1024)}' /proc/meminfo)
mkdir -p /run/zero && mount -t tmpfs -o size=$((free_mb - 40))m tmpfs /run/zero
dd if=/dev/zero of=/run/zero/fill bs=1M 2>/dev/null
rm -f /run/zero/fill && umount /run/zero && rmdir /run/zero
echo 3 > /proc/sys/vm/drop_caches`);
console.log(`zero fill ${fill.ms} ms ${fill.out}`);
await save("after zero fill");
console.log("after: docker ps", (await sh("docker ps")).ms, "ms");
await machine.dispose();
process.exit(0);
