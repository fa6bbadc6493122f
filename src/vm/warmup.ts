// After a restore, v86's JIT is cold: the learner's first `docker run` would pay ~15 s. A hidden
// run through the agent (not in a learner terminal) while the first lesson is read moves that
// cost off the learner's first command. The image is imported from a tar kept in the guest and
// removed again, so `docker images` shows nothing of it afterwards.
//
// The warm-up keeps the guest's one CPU busy for a while, so the page runs each round only while
// the learner is not typing (`beforeRound`): a learner's command must never queue behind it.
import type { Machine } from "./machine.ts";

export const WARMUP_IMAGE = "sandbox-warmup:latest";

/** One round: import, run, remove. Two rounds compile the paths a `docker run` takes. */
const ROUND = `
docker import /var/lib/sandbox/busybox-rootfs.tar ${WARMUP_IMAGE} >/dev/null &&
docker run --rm ${WARMUP_IMAGE} true
status=$?
docker rmi ${WARMUP_IMAGE} >/dev/null 2>&1
exit $status
`;
const ROUNDS = 2;

export interface WarmUpOptions {
  /** Awaited before each round; the page waits here until the learner pauses. */
  beforeRound?: () => Promise<void>;
  signal?: AbortSignal;
}

/** Milliseconds spent in the rounds themselves (not waiting in `beforeRound`). */
export async function warmUp(machine: Machine, options: WarmUpOptions = {}): Promise<number> {
  let spent = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await options.beforeRound?.();
    if (options.signal?.aborted) break;
    const started = Date.now();
    // Generous: on a loaded host the cold first runs take minutes, and nobody waits on this.
    const r = await machine.exec(["sh", "-c", ROUND], { timeoutMs: 600_000 });
    spent += Date.now() - started;
    if (r.exit !== 0) throw new Error(`warm-up failed (exit ${r.exit}): ${r.stderr.trim()}`);
  }
  return spent;
}
