// Dev: where a `docker pull nginx` spends its time in the guest: fetching the layers from the
// in-page registry, sha256 of the blobs, gunzip, and unpacking — each timed alone, then the pull.
// Usage: npx tsx scripts/dev/pull-profile.mts
import { attachBundledRegistry } from "../../src/vm/node.ts";
import { startGuest } from "../../test/helpers/guest.ts";

const guest = await startGuest();
const { index } = attachBundledRegistry(guest.machine);
const t = guest.terminal(1);
const repo = index.repositories["library/nginx"]!;
const manifest = repo.tags["latest"]!;
const run = async (label: string, cmd: string) => {
  const s = performance.now();
  const r = await t.run(cmd, 600_000);
  console.log(`${label}: ${Math.round(performance.now() - s)} ms (exit ${r.exit})`);
};
const reg = "http://registry.local:5000/v2/library/nginx";
await run("warm: docker ps", "docker ps >/dev/null");
await run(
  "manifest",
  `curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' ${reg}/manifests/${manifest} -o /tmp/m.json`,
);
await run(
  "fetch layers (curl)",
  `mkdir -p /tmp/p && cd /tmp/p && for d in $(grep -o 'sha256:[0-9a-f]*' /tmp/m.json | tail -n +2); do curl -sf ${reg}/blobs/$d -o $(echo $d | cut -c8-20); done; ls -la /tmp/p; cd /`,
);
await run("sha256sum", "sha256sum /tmp/p/* >/dev/null");
await run("gunzip to /dev/null", "for f in /tmp/p/*; do gzip -dc $f >/dev/null; done");
await run("gunzip | sha256sum", "for f in /tmp/p/*; do gzip -dc $f | sha256sum >/dev/null; done");
await run(
  "gunzip | tar x",
  "rm -rf /tmp/x; mkdir -p /tmp/x; for f in /tmp/p/*; do gzip -dc $f | tar x -C /tmp/x; done",
);
await run("sync", "sync");
await run("docker pull nginx", "docker pull nginx >/dev/null");
await run("docker rmi nginx", "docker rmi nginx >/dev/null");
await run("docker pull nginx again", "docker pull nginx >/dev/null");
await guest.dispose();
process.exit(0);
