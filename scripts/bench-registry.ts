// Registry benchmarks, for scripts/bench.ts (and runnable alone:
// `flock /tmp/v86.lock npx tsx scripts/bench-registry.ts [--json]`).
// Each figure is the wall time of one docker command in the guest, after the machine is ready,
// with the registry's blob cache cold (a fresh store) unless named "cached".
import { fileURLToPath } from "node:url";
import type { Machine } from "../src/vm/machine.ts";
import { attachBundledRegistry, restoredMachine } from "../src/vm/node.ts";

export interface RegistryBench {
  /** `docker pull nginx` with nothing in the guest and a cold blob cache. */
  pull_nginx_ms: number;
  /** `docker pull nginx` again after `docker rmi nginx`: the page already holds the blobs. */
  pull_nginx_cached_ms: number;
  /** `docker run --rm hello-world`, pull included, cold cache. */
  run_hello_world_ms: number;
  /** Every bundled blob once (shared layers counted once). */
  bundled_blob_bytes: number;
  /** Compressed bytes a pull of each image moves (config + layers). */
  image_sizes: Record<string, number>;
}

export async function benchRegistry(
  opts: { signal?: AbortSignal; log?: (s: string) => void } = {},
): Promise<RegistryBench> {
  const log = opts.log ?? (() => undefined);
  const machine: Machine = restoredMachine();
  const { index } = attachBundledRegistry(machine, { signal: opts.signal });
  try {
    await machine.start({ signal: opts.signal });
    const timed = async (cmd: string) => {
      opts.signal?.throwIfAborted();
      const t0 = performance.now();
      const r = await machine.exec(["sh", "-c", `${cmd} 2>&1`], { timeoutMs: 300_000 });
      const ms = Math.round(performance.now() - t0);
      if (r.exit !== 0) throw new Error(`${cmd} failed (${r.exit}):\n${r.stdout}${r.stderr}`);
      log(`${String(ms).padStart(6)} ms  ${cmd}`);
      return ms;
    };
    // A first guest command after restore pays for the JIT; keep it out of the figures.
    await timed("docker version --format '{{.Server.Version}}'");
    const run_hello_world_ms = await timed("docker run --rm hello-world");
    const pull_nginx_ms = await timed("docker pull nginx");
    await timed("docker rmi nginx");
    const pull_nginx_cached_ms = await timed("docker pull nginx");
    const image_sizes: Record<string, number> = {};
    for (const [repo, r] of Object.entries(index.repositories))
      image_sizes[repo.replace(/^library\//, "")] = r.compressedBytes;
    return {
      pull_nginx_ms,
      pull_nginx_cached_ms,
      run_hello_world_ms,
      bundled_blob_bytes: index.totalBlobBytes,
      image_sizes,
    };
  } finally {
    await machine.dispose();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const json = process.argv.includes("--json");
  const result = await benchRegistry({ log: json ? undefined : (s) => console.log(s) });
  console.log(json ? JSON.stringify(result) : result);
}
