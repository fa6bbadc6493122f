// After a restore, v86's JIT is cold: the learner's first `docker run` would pay ~15 s. Hidden
// runs through the agent (not in a learner terminal) while the first lesson is read move that
// cost off the learner's first commands. The image is imported from a tar kept in the guest and
// removed again, so `docker images` shows nothing of it afterwards.
//
// The warm-up keeps the guest's one CPU busy, and a learner's command that starts meanwhile runs
// several times slower (measured in the page: a shell loop 6–8 s instead of 1.1 s). So it goes
// in small steps, the page waits before each one until the learner pauses (`beforeStep`), the
// cheap steps a learner's first look needs come first, and everything runs at the lowest CPU
// priority the guest has.
import type { Machine } from "./machine.ts";

export const WARMUP_IMAGE = "sandbox-warmup:latest";

/**
 * A learner's first look around (the CLI, the API, the listings): warmed up first here, kept
 * resident and recorded as the first-look disk chunks by `build:state`.
 */
export const FIRST_LOOK: readonly (readonly string[])[] = [
  ["docker", "version"],
  ["docker", "ps", "-a"],
  ["docker", "images"],
  ["docker", "info"],
];

/**
 * Import, run, remove: one step, so that the learner never sees the warm-up's image between
 * steps. Two of them compile the paths a `docker run` takes.
 */
const RUN = `
docker import /var/lib/sandbox/busybox-rootfs.tar ${WARMUP_IMAGE} >/dev/null &&
docker run --rm ${WARMUP_IMAGE} true
status=$?
docker rmi ${WARMUP_IMAGE} >/dev/null 2>&1
exit $status
`;

/** Every step, in order: shell scripts run by the agent. */
export const WARMUP_STEPS: readonly string[] = [
  ...FIRST_LOOK.map((argv) => `${argv.join(" ")} >/dev/null`),
  RUN,
  RUN,
];

export interface WarmUpOptions {
  /** Awaited before each step; the page waits here until the learner pauses. */
  beforeStep?: () => Promise<void>;
  /** Called when a step has ended (well or not). */
  afterStep?: () => void;
  signal?: AbortSignal;
}

/** Milliseconds spent in the steps themselves (not waiting in `beforeStep`). */
export async function warmUp(machine: Machine, options: WarmUpOptions = {}): Promise<number> {
  let spent = 0;
  for (const step of WARMUP_STEPS) {
    await options.beforeStep?.();
    if (options.signal?.aborted) break;
    const started = Date.now();
    // Generous: on a loaded host the cold first runs take minutes, and nobody waits on this.
    // nice 19: the guest's scheduler puts a learner's shell and docker CLI first.
    const r = await machine
      .exec(["nice", "-n", "19", "sh", "-c", step], { timeoutMs: 600_000 })
      .finally(() => options.afterStep?.());
    spent += Date.now() - started;
    if (r.exit !== 0) throw new Error(`warm-up failed (exit ${r.exit}): ${r.stderr.trim()}`);
  }
  return spent;
}
