// check_latency_ms for `npm run bench`: the time from "the learner's command finished" (the
// agent's command report arrives) to "the step's state is updated" (the runner emitted the
// evaluation that saw it), measured on a real guest.
import { agentOf, type AgentSource } from "../engine/agent.ts";
import { DockerEngine } from "../engine/docker.ts";
import { parsePack } from "./parse.ts";
import { MemoryProgressStore } from "./progress.ts";
import { LessonRunner } from "./runner.ts";
import type { LearnerPort } from "../vm/protocol.ts";

export interface CheckLatencyOptions {
  machine: AgentSource & { write(port: LearnerPort, data: string | Uint8Array): void };
  port?: LearnerPort;
  runs?: number;
  signal?: AbortSignal;
}

export interface CheckLatencyResult {
  check_latency_ms: number;
  check_latency_ms_max: number;
  samples: number[];
}

const probeLesson = (name: string) => `---
id: latency-probe
title: Latency probe
summary: bench only
---

## Run it {#run}
<!-- check: container {name: ${name}, image: busybox, state: exited, exitCode: 0} -->
<!-- check: command {matches: 'docker run --name ${name} busybox true'} -->
<!-- solution: docker run --name ${name} busybox true -->
`;

/** Median over `runs` real commands (busybox must be available to the guest). */
export async function benchCheckLatency(options: CheckLatencyOptions): Promise<CheckLatencyResult> {
  const port = options.port ?? 1;
  const engine = new DockerEngine(agentOf(options.machine));
  const samples: number[] = [];
  for (let i = 0; i < (options.runs ?? 5); i++) {
    options.signal?.throwIfAborted();
    const name = `latency-probe-${i}`;
    await engine.removeContainer(name, { force: true });
    const { lessons, errors } = parsePack(new Map([["01-probe/lesson.md", probeLesson(name)]]));
    if (errors.length || !lessons[0]) throw new Error(`probe lesson: ${JSON.stringify(errors)}`);
    const runner = new LessonRunner({
      lesson: lessons[0],
      engine,
      progress: new MemoryProgressStore(),
    });
    await runner.start();
    let reportedAt = 0;
    const off = options.machine.on((e) => {
      if (
        e.type === "agent" &&
        e.event.event === "command" &&
        e.event.port === port &&
        e.event.cmd.includes(name)
      )
        reportedAt = performance.now();
    });
    try {
      const done = runner.waitFor((s) => s.completed, options.signal);
      options.machine.write(port, `docker run --name ${name} busybox true\r`);
      await done;
      samples.push(Math.round(performance.now() - reportedAt));
    } finally {
      off();
      runner.dispose();
      await engine.removeContainer(name, { force: true });
    }
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    check_latency_ms: sorted[Math.floor(sorted.length / 2)] ?? NaN,
    check_latency_ms_max: sorted[sorted.length - 1] ?? NaN,
    samples,
  };
}
