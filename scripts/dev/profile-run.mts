// Dev: where a warm `docker run` spends its time in the guest. Restores the saved state, warms
// up, then times variants of a busybox run and prints guest-side figures.
// Usage: flock /tmp/v86.lock npx tsx scripts/dev/profile-run.mts
import { restoredMachine } from "../../src/vm/node.ts";
import { warmUp } from "../../src/vm/warmup.ts";
import { importBusybox } from "../../test/helpers/guest.ts";

const machine = restoredMachine();
const t0 = performance.now();
await machine.start();
console.log(`ready ${Math.round(performance.now() - t0)} ms`);
console.log(`warm-up ${await warmUp(machine)} ms`);
await importBusybox(machine);
const sh = async (cmd: string) => {
  const t = performance.now();
  const r = await machine.exec(["sh", "-c", `${cmd} 2>&1`], { timeoutMs: 300_000 });
  return { ms: Math.round(performance.now() - t), out: (r.stdout + r.stderr).trim() };
};
const variants = (
  process.env.VARIANTS ??
  "--rm busybox true|--rm --network none busybox true|--rm --network host busybox true"
).split("|");
for (const v of variants) {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push((await sh(`docker run ${v}`)).ms);
  console.log(`docker run ${v}: ${times.join(", ")}`);
}
console.log(
  (
    await sh(
      "cat /proc/loadavg; grep -E 'MemFree|MemAvailable' /proc/meminfo; docker info --format '{{.DefaultRuntime}} {{.Driver}}'",
    )
  ).out,
);
for (const c of ["docker ps", "docker version --format x", "ls /", "busybox true"]) {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push((await sh(c)).ms);
  console.log(`${c}: ${times.join(", ")}`);
}
console.log(
  (await sh("cat /proc/stat | head -1; cat /proc/vmstat | grep -E 'pgfault|pgmajfault|pswp'")).out,
);
await machine.dispose();
