// After a restore, v86's JIT is cold: the learner's first `docker run` would pay ~15 s. A hidden
// run through the agent (not in a learner terminal) while the first lesson is read moves that
// cost off the learner's first command. The image is imported from a tar kept in the guest and
// removed again, so `docker images` shows nothing of it afterwards.
import type { Machine } from "./machine.ts";

export const WARMUP_IMAGE = "sandbox-warmup:latest";

const SCRIPT = `
docker import /var/lib/sandbox/busybox-rootfs.tar ${WARMUP_IMAGE} >/dev/null &&
docker run --rm ${WARMUP_IMAGE} true &&
docker run --rm ${WARMUP_IMAGE} true
status=$?
docker rmi ${WARMUP_IMAGE} >/dev/null 2>&1
exit $status
`;

export async function warmUp(machine: Machine): Promise<number> {
  const started = Date.now();
  // Generous: on a loaded host the cold first runs take minutes, and nobody waits on this.
  const r = await machine.exec(["sh", "-c", SCRIPT], { timeoutMs: 600_000 });
  if (r.exit !== 0) throw new Error(`warm-up failed (exit ${r.exit}): ${r.stderr.trim()}`);
  return Date.now() - started;
}
