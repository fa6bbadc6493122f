// Dev: the same commands again and again in a learner terminal of a restored guest (Node): the
// first of each pays v86's cold JIT, the later ones show the warm cost. Compare with the page:
// scripts/dev/warm-profile.mts. Usage: npx tsx scripts/dev/repeat-probe.mts
import { attachBundledRegistry } from "../../src/vm/node.ts";
import { startGuest } from "../../test/helpers/guest.ts";
const guest = await startGuest();
attachBundledRegistry(guest.machine);
const t = guest.terminal(1);
for (const [cmd, n] of [
  ["docker ps", 4],
  ["docker run --rm hello-world", 3],
] as const)
  for (let i = 1; i <= n; i++) {
    const s = performance.now();
    await t.run(cmd, 300_000);
    console.log(`${cmd} #${i}: ${Math.round(performance.now() - s)} ms`);
  }
await guest.dispose();
process.exit(0);
