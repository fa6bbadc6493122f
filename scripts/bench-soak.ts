// The soak: many `docker run --rm busybox true` in a row on one restored guest, as a learner who
// keeps going would. Reports time per run, failures and how much guest memory stayed used.
//
//   npm run bench -- --json --only soak_runs_ok     (200 runs, several minutes)
//   SOAK_RUNS=20 npm run bench -- --only soak_runs_ok
import type { Machine } from "../src/vm/machine.ts";
import { restoredMachine } from "../src/vm/node.ts";
import { importBusybox } from "../test/helpers/guest.ts";

export interface SoakResult {
  soak_runs: number;
  soak_runs_ok: number;
  soak_ms_p50: number;
  soak_ms_p95: number;
  soak_ms_max: number;
  /** Guest memory in use (MemTotal - MemAvailable) after the last run minus after the first. */
  soak_mem_growth_mb: number;
  /** Containers left behind (should be 0: every run had --rm). */
  soak_containers_left: number;
  soak_failures: string[];
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
};

async function memUsedMb(machine: Machine): Promise<number> {
  const s = await machine.stats();
  return s.guestMemUsed / 1024 / 1024;
}

export async function benchSoak({
  runs = Number(process.env.SOAK_RUNS ?? 200),
  log = (_: string) => {},
}: { runs?: number; log?: (s: string) => void } = {}): Promise<SoakResult> {
  const machine = restoredMachine();
  try {
    await machine.start();
    await importBusybox(machine);
    const times: number[] = [];
    const failures: string[] = [];
    let baseline = 0;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const r = await machine
        .exec(["docker", "run", "--rm", "busybox", "true"], { timeoutMs: 180_000 })
        .catch((e: Error) => ({ exit: -1, stderr: e.message }));
      const ms = Math.round(performance.now() - t);
      if (r.exit === 0) times.push(ms);
      else if (failures.length < 10)
        failures.push(`run ${i + 1}: exit ${r.exit}: ${r.stderr.trim()}`);
      // The first run loads what every later run reuses: growth is measured from after it.
      if (i === 0) baseline = await memUsedMb(machine);
      if ((i + 1) % 20 === 0)
        log(
          `soak: ${i + 1}/${runs}, ok ${times.length}, p50 ${percentile(times, 0.5)} ms, ` +
            `memory +${((await memUsedMb(machine)) - baseline).toFixed(1)} MB`,
        );
    }
    const after = await memUsedMb(machine);
    const left = await machine.api<unknown[]>("GET", "/containers/json?all=1");
    return {
      soak_runs: runs,
      soak_runs_ok: times.length,
      soak_ms_p50: percentile(times, 0.5),
      soak_ms_p95: percentile(times, 0.95),
      soak_ms_max: Math.max(0, ...times),
      soak_mem_growth_mb: Number((after - baseline).toFixed(1)),
      soak_containers_left: Array.isArray(left.body) ? left.body.length : -1,
      soak_failures: failures,
    };
  } finally {
    await machine.dispose();
  }
}
