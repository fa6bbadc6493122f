// Dev: does dockerd pull faster with unpigz (C zlib) than with Go's gzip? Puts an i386 pigz binary
// into a restored guest (the guest has one already since pigz is in packages.txt; PIGZ names
// another build to try) and times pulls with and without /usr/bin/unpigz in the same session.
// Usage: flock /tmp/v86.lock npx tsx scripts/dev/pigz-probe.mts  (IMAGE=debian PIGZ=/path/pigz)
import fs from "node:fs";
import { attachBundledRegistry } from "../../src/vm/node.ts";
import { startGuest } from "../../test/helpers/guest.ts";

const guest = await startGuest();
attachBundledRegistry(guest.machine);
const t = guest.terminal(1);
const run = async (label: string, cmd: string) => {
  const s = performance.now();
  const r = await t.run(cmd, 600_000);
  console.log(`${label}: ${Math.round(performance.now() - s)} ms (exit ${r.exit})`);
};
const put = process.env.PIGZ
  ? await guest.machine.exec(["sh", "-c", "base64 -d > /usr/bin/pigz && chmod +x /usr/bin/pigz"], {
      stdin: fs.readFileSync(process.env.PIGZ).toString("base64"),
      timeoutMs: 60_000,
    })
  : await guest.machine.exec(["test", "-x", "/usr/bin/pigz"]);
if (put.exit !== 0) throw new Error(`no pigz in the guest: ${put.stderr}`);
const image = process.env.IMAGE ?? "nginx";
const on = "ln -sf pigz /usr/bin/unpigz";
const off = "rm -f /usr/bin/unpigz";
await run("warm: docker ps", "docker ps >/dev/null");
// The first pull after a restore pays for the JIT: alternate, and compare the later ones.
for (const [label, setup] of [
  ["go gzip", off],
  ["go gzip", off],
  ["unpigz", on],
  ["unpigz", on],
  ["go gzip", off],
  ["unpigz", on],
]) {
  await run(`setup ${label}`, setup!);
  await run(`pull ${image} (${label})`, `docker pull ${image} >/dev/null`);
  await run("rmi", `docker rmi ${image} >/dev/null`);
}
await guest.dispose();
process.exit(0);
