// Dev: what keeps the guest busy right after a restore (and after a warm-up).
// Usage: flock /tmp/v86.lock npx tsx scripts/dev/top.mts
import { restoredMachine } from "../../src/vm/node.ts";
import { warmUp } from "../../src/vm/warmup.ts";

const machine = restoredMachine();
await machine.start();
const sh = async (cmd: string) =>
  (await machine.exec(["sh", "-c", `${cmd} 2>&1`], { timeoutMs: 120_000 })).stdout;
const snapshot = async (label: string) => {
  console.log(`--- ${label}`);
  console.log(await sh("head -1 /proc/stat; cat /proc/loadavg"));
  console.log(await sh("ps -eo pid,stat,time,etime,comm --sort=-time | head -15"));
};
await snapshot("after restore");
await sh("sleep 10");
await snapshot("10 s later");
console.log(`warm-up ${await warmUp(machine)} ms`);
await sh("sleep 10");
await snapshot("after warm-up + 10 s");
await machine.dispose();
