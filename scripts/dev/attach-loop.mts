// Dev: repeats the integration test's detach / attach / exec -it sequence until a learner
// terminal stops answering, then shows what the guest's processes on that tty are doing.
// Usage: npx tsx scripts/dev/attach-loop.mts [rounds]
import { importBusybox, startGuest } from "../../test/helpers/guest.ts";

const guest = await startGuest();
await importBusybox(guest.machine);
const t = guest.terminal(1);
const DETACH = "\x10\x11";
const rounds = Number(process.argv[2] ?? 10);
async function step(label: string, type: string, expect: RegExp, timeoutMs = 60_000) {
  t.clear();
  const started = Date.now();
  t.type(type);
  try {
    await t.expect(expect, timeoutMs);
  } catch {
    console.log(
      `STUCK at ${label} after ${Date.now() - started} ms; screen: ${JSON.stringify(t.text)}`,
    );
    const ps = await guest.machine.exec([
      "sh",
      "-c",
      "ps -eo pid,ppid,stat,wchan:24,tty,args | grep -v ' \\[' ; stty -a -F /dev/ttyS1 | head -4; cat /proc/tty/driver/serial",
    ]);
    console.log(ps.stdout, ps.stderr);
    process.exit(1);
  }
  return Date.now() - started;
}
for (let round = 1; round <= rounds; round++) {
  const times = [
    await step("run -it", `docker run -it --name det${round} busybox sh\n`, /\/ # $/, 120_000),
    await step("detach 1", DETACH, /:~# $/),
    await step("ps", "docker ps\n", /det\d+\s*\n[^]*:~# $/),
    await step("attach", `docker attach det${round}\n\n`, /\/ # $/),
    await step("echo", "echo attached-ok\n", /attached-ok\s*\n\/ # $/),
    await step("detach 2", DETACH, /:~# $/),
    await step("exec -it", `docker exec -it det${round} sh\n`, /\/ # $/),
    await step("exit", "exit\n", /:~# $/),
    await step("rm", `docker rm -f det${round}\n`, /:~# $/),
  ];
  console.log(
    `round ${round}: ${times.join(" ")} ms; UART kicks so far ${guest.machine.uartKicks}`,
  );
}
await guest.dispose();
process.exit(0);
