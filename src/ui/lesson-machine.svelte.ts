// What the lesson pane needs from the machine: agent requests and events (for the lesson
// runner), the learner's terminals (to type code and solutions), and whether it is ready.
import type { AgentSource } from "../engine/agent.ts";
import type { LearnerPort, MachinePhase } from "../vm/protocol.ts";
import type { MachineClient } from "../vm/client.svelte.ts";
import { terminalFocus } from "./terminal-focus.svelte.ts";
import { STEP, stepName } from "../vm/worker/checkpoints.ts";

export interface LessonMachine extends AgentSource {
  readonly phase: MachinePhase;
  write(port: LearnerPort, data: Uint8Array): void;
  onOutput(port: LearnerPort, listener: (data: Uint8Array) => void): () => void;
  /** The terminal the learner used last, brought forward; code is typed there. */
  activePort(): LearnerPort;
  /** Keep the machine as it is at this step's start (see MachineWorkerApi.markStepStart). */
  markStepStart?(lessonId: string, stepId: string): void;
  /** Whether the machine holds a checkpoint of this step's start (reactive). */
  hasStepStart?(lessonId: string, stepId: string): boolean;
  /** Back to the start of the step: the machine as it was then. */
  restoreStepStart?(): Promise<void>;
}

export function lessonMachine(client: MachineClient): LessonMachine {
  return {
    get phase() {
      return client.phase;
    },
    agent: (request) => client.agent(request),
    on: (listener) => client.on(listener),
    write: (port, data) => client.write(port, data),
    onOutput: (port, listener) => client.onOutput(port, listener),
    activePort: () => terminalFocus.claim(),
    markStepStart: (lessonId, stepId) => client.markStepStart(lessonId, stepId),
    hasStepStart: (lessonId, stepId) =>
      client.checkpoints.some((c) => c.id === STEP && c.name === stepName(lessonId, stepId)),
    restoreStepStart: () => client.restoreCheckpoint(STEP),
  };
}

const encoder = new TextEncoder();

/** Types text into a terminal as keystrokes. */
export function typeInto(machine: LessonMachine, port: LearnerPort, text: string): void {
  machine.write(port, encoder.encode(text));
}

/** A code block's lines as typed keys: each line ends with Enter. */
export function codeInput(code: string): string {
  return code
    .replace(/\r\n?/g, "\n")
    .replace(/\n+$/, "")
    .split("\n")
    .map((line) => `${line}\r`)
    .join("");
}

// Why both: a shell prompt ends in `# ` or `$ `; ANSI colour codes may follow it.
const PROMPT_END = /[#$]\s*$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g;

/**
 * Types solution lines one after another, each once the terminal is ready for it: the
 * shell reported the command finished, a prompt (the host's or a container's) appeared, or
 * the terminal stayed quiet for `quietMs` (e.g. `docker attach` prints nothing).
 */
export async function typeLines(
  machine: LessonMachine,
  port: LearnerPort,
  inputs: string[],
  options: { signal?: AbortSignal; quietMs?: number; maxWaitMs?: number } = {},
): Promise<void> {
  const quietMs = options.quietMs ?? 2500;
  const maxWaitMs = options.maxWaitMs ?? 120_000;
  for (const [index, input] of inputs.entries()) {
    options.signal?.throwIfAborted();
    const last = index === inputs.length - 1;
    const settled = last ? undefined : lineSettled(machine, port, quietMs, maxWaitMs);
    typeInto(machine, port, input);
    if (settled) await settled(options.signal);
  }
}

function lineSettled(
  machine: LessonMachine,
  port: LearnerPort,
  quietMs: number,
  maxWaitMs: number,
): (signal?: AbortSignal) => Promise<void> {
  const decoder = new TextDecoder();
  let text = "";
  let done: (() => void) | undefined;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  const finish = () => {
    finished = true;
    done?.();
  };
  // Why timers: a program that waits silently (attach) sends no event to wait for.
  const restartQuiet = () => {
    clearTimeout(quiet);
    quiet = setTimeout(finish, quietMs);
  };
  restartQuiet();
  const limit = setTimeout(finish, maxWaitMs);
  const offOutput = machine.onOutput(port, (data) => {
    text = (text + decoder.decode(data, { stream: true })).slice(-400);
    restartQuiet();
    // The echo of the typed line comes first; only a prompt after a newline counts.
    const plain = text.replace(ANSI, "");
    const lastLine = plain.slice(plain.lastIndexOf("\n") + 1);
    if (plain.includes("\n") && PROMPT_END.test(lastLine)) finish();
  });
  const offEvents = machine.on((event) => {
    if (event.type === "agent" && event.event.event === "command" && event.event.port === port)
      finish();
  });
  return (signal) =>
    new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(quiet);
        clearTimeout(limit);
        offOutput();
        offEvents();
        signal?.removeEventListener("abort", abort);
      };
      const abort = () => {
        cleanup();
        reject(signal?.reason ?? new Error("aborted"));
      };
      done = () => {
        cleanup();
        resolve();
      };
      signal?.addEventListener("abort", abort, { once: true });
      if (finished) done();
    });
}
