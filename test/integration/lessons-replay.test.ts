// Headless replay of every lesson against the real guest: each step's solution is typed into
// a learner terminal (port 1) exactly as a learner would, and the step's checks must pass.
// Per lesson, one wrong or incomplete command first, and the explanation it must get.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lintPackDir } from "../../scripts/lint-lessons.ts";
import { agentOf } from "../../src/engine/agent.ts";
import { DockerEngine } from "../../src/engine/docker.ts";
import { guestCurlProbe } from "../../src/engine/http.ts";
import { MemoryProgressStore } from "../../src/lessons/progress.ts";
import { LessonRunner, solutionInput, type LessonState } from "../../src/lessons/runner.ts";
import type { Lesson, Step } from "../../src/lessons/schema.ts";
import type { Machine } from "../../src/vm/machine.ts";
import {
  MissingArtifactError,
  attachBundledRegistry,
  bootingMachine,
  projectRoot,
  restoredMachine,
} from "../../src/vm/node.ts";
import type { AgentEvent, CommandReport, MachineEvent } from "../../src/vm/protocol.ts";
import { EngineView, normaliseCommand, runCheck } from "../../src/lessons/checks.ts";
import { RecordingAgent } from "../fixtures/agent/recording-agent.ts";

const PORT = 1 as const;
// Deadlines, not waits: generous because the first `docker pull debian` extracts ~11 MB of gzip
// in the emulated CPU, which took over 180 s while other jobs shared the two cores.
const LINE_TIMEOUT_MS = 360_000;
const STEP_TIMEOUT_MS = 180_000;

/** One wrong or incomplete command per lesson, typed before that step's solution. */
const WRONG: Record<string, { step: string; cmd: string; expect: RegExp; undo?: string }> = {
  "what-is-docker": {
    step: "client-version",
    cmd: "docker -version",
    expect:
      /^No command matching `docker \(-v\|--version\)` has finished since this step began \(your last command was `docker -version`, exit \d+\)\.$/,
  },
  "first-container": {
    step: "run-hello",
    cmd: "docker run hello-word",
    expect: /^No container was made from `hello-world`/,
  },
  images: {
    step: "pull",
    cmd: "docker pull debian:bookwork",
    expect: /^There is no image `debian:bookworm`/,
  },
  "interactive-containers": {
    step: "run-it",
    cmd: "docker run --name hello debian bash",
    expect: /^`hello` was created without -i -t, so it has no terminal to type into/,
    undo: "docker rm hello",
  },
  "container-lifecycle": {
    step: "start",
    cmd: "docker start helo",
    expect:
      /^A container named `hello` exists but it is exited \(exit code \d+\); the step asks for it to be running\.$/,
  },
  "remove-images": {
    step: "image-rm",
    cmd: "docker image rm whalesay:1.0",
    expect: /^The image `whalesay:latest` is still here\.$/,
  },
  "web-server": {
    step: "nginx",
    cmd: "docker run --detach --publish=8080:80 --name=webserver nginx",
    expect: /^Port 80 of `webserver` is published on 8080; the step asks for 80\.$/,
    undo: "docker rm -f webserver",
  },
  "copy-files": {
    step: "cp",
    cmd: "cd /root/game/.. && docker container cp ./ web:/usr/local/apache2/htdocs",
    expect:
      /^Container `web` has no file \/usr\/local\/apache2\/htdocs\/game\.js\.$|does not contain `canvas`/,
  },
  commit: {
    step: "run",
    cmd: "docker run -d --name my_web2 -p 900:8080 my_game:1.0",
    expect:
      /^Host port 900 leads to port 8080\/tcp of `my_web2`; the step asks for container port 80/,
    undo: "docker rm -f my_web2",
  },
  dockerfile: {
    step: "build",
    cmd: "cd /root/game && docker build --tag my_game:2.0",
    expect: /^There is no image `my_game:2\.0`/,
  },
  layers: {
    step: "diff",
    cmd: "docker diff my_web3",
    expect:
      /^No command matching `docker \(container \)\?diff web` has finished since this step began \(your last command was `docker diff my_web3`, exit 0\)\.$/,
  },
  volumes: {
    step: "bind",
    cmd: "docker run -d --name live -p 8081:80 -v /root/games:/usr/local/apache2/htdocs httpd",
    expect:
      /^\/usr\/local\/apache2\/htdocs in `live` comes from \/root\/games; the step asks for \/root\/game\.$/,
    undo: "docker rm -f live; rmdir /root/games",
  },
  "share-images": {
    step: "push",
    cmd: "docker push registry.local:5000/my_game:20",
    expect:
      /^`registry\.local:5000\/my_game:2\.0` has no digest from registry\.local:5000 yet: it has not been pushed there/,
  },
  "vm-vs-container": {
    step: "run",
    cmd: "docker run -d --name sleeper busybox sleep",
    expect:
      /^A container named `sleeper` exists but it is exited \(exit code 1\); the step asks for it to be running\.$/,
    undo: "docker rm sleeper",
  },
};

/**
 * The engine state each lesson starts from, made directly rather than by replaying the
 * lessons before it: used when the previous lesson did not pass in this run (a run of
 * `LESSONS=9,10`, or after a failure), so any subset replays on its own. Idempotent shell run
 * as root in the guest; `files` first copies those lessons' files (as their runner would).
 */
const GAME = "/usr/local/apache2/htdocs";
const WEB_WITH_GAME = `docker rm -f web >/dev/null 2>&1; docker run -d --name web -p 818:80 httpd >/dev/null && docker cp /root/game/. web:${GAME}`;
const MY_GAME_2 = `docker image inspect my_game:2.0 >/dev/null 2>&1 || { printf 'FROM httpd\\nCOPY ./ ${GAME}/\\n' > /root/game/Dockerfile && docker build -q --tag my_game:2.0 /root/game >/dev/null; }`;
const PREPARE: Record<string, { files?: string[]; sh: string }> = {
  "first-container": { sh: "true" },
  images: { sh: "true" },
  "interactive-containers": { sh: "docker rm -f hello >/dev/null 2>&1; true" },
  "container-lifecycle": {
    // Lesson 4 leaves `hello` exited.
    sh: "docker rm -f hello boo >/dev/null 2>&1; docker ps -aq --filter ancestor=whalesay | xargs -r docker rm -f >/dev/null; docker run -d -i -t --name hello debian bash >/dev/null && docker kill hello >/dev/null",
  },
  "remove-images": {
    // Lesson 5 leaves whalesay pulled and unused; hello-world comes from lesson 2, debian from 4.
    sh: "docker rm -f greeter draft >/dev/null 2>&1; docker rmi snapshot >/dev/null 2>&1; docker ps -aq --filter ancestor=whalesay | xargs -r docker rm -f >/dev/null; docker pull whalesay >/dev/null && docker pull hello-world >/dev/null && docker pull debian >/dev/null",
  },
  "web-server": { sh: "docker rm -f web webserver >/dev/null 2>&1; true" },
  "copy-files": {
    sh: "docker rm -f web >/dev/null 2>&1; docker run -d --name web -p 818:80 httpd >/dev/null",
  },
  commit: {
    files: ["copy-files"],
    sh: `docker rm -f my_web2 >/dev/null 2>&1; docker rmi -f my_game:1.0 >/dev/null 2>&1; ${WEB_WITH_GAME}`,
  },
  dockerfile: {
    sh: "docker rm -f my_web3 >/dev/null 2>&1; docker rmi -f my_game:2.0 >/dev/null 2>&1; rm -f /root/game/Dockerfile",
  },
  layers: {
    // Lesson 8's `web` with the game copied in, lesson 10's image and its stopped `my_web3`.
    files: ["dockerfile"],
    sh: `${WEB_WITH_GAME} && ${MY_GAME_2} && docker rm -f my_web3 >/dev/null 2>&1; docker run -d --name my_web3 -p 901:80 my_game:2.0 >/dev/null && docker stop my_web3 >/dev/null`,
  },
  volumes: {
    sh: "docker rm -f live >/dev/null 2>&1; docker volume rm notes >/dev/null 2>&1; rmdir /root/games 2>/dev/null; true",
  },
  "share-images": {
    files: ["dockerfile"],
    sh: `docker rmi registry.local:5000/my_game:2.0 >/dev/null 2>&1; ${MY_GAME_2}`,
  },
  "vm-vs-container": { sh: "docker rm -f sleeper >/dev/null 2>&1; true" },
};

const { lessons: allLessons, errors } = lintPackDir(path.join(projectRoot, "lessons"), true);
// LESSONS=4,5 replays a subset while developing: a lesson whose predecessor did not just run
// starts from the state PREPARE makes.
const only = process.env.LESSONS?.split(",").map((n) => Number(n));
const lessons = only ? allLessons.filter((l) => only.includes(l.order)) : allLessons;

let machine: Machine;
let engine: DockerEngine;
const latencies: number[] = [];
const outputs: string[] = [];

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r/g, "");
}

/** Resolves with the first machine event `pick` accepts; rejects loudly on timeout. */
function nextEvent<T>(
  pick: (e: MachineEvent) => T | undefined,
  what: string,
  timeoutMs = LINE_TIMEOUT_MS,
): { promise: Promise<T>; cancel: () => void } {
  let off = () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<T>((resolve, reject) => {
    off = machine.on((e) => {
      const hit = pick(e);
      if (hit !== undefined) {
        cancel();
        resolve(hit);
      }
    });
    // A deadline, not a wait: the test fails loudly if the guest never answers.
    timer = setTimeout(() => {
      cancel();
      reject(
        new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; terminal ends with:\n${outputs.join("").slice(-1500)}`,
        ),
      );
    }, timeoutMs);
  });
  function cancel() {
    off();
    if (timer) clearTimeout(timer);
  }
  return { promise, cancel };
}

const commandOn = (e: MachineEvent): CommandReport | undefined =>
  e.type === "agent" && e.event.event === "command" && e.event.port === PORT
    ? (e.event as AgentEvent & CommandReport)
    : undefined;

/**
 * The report of `cmd` itself: a report can come late (a container's shell reports when it
 * ends, after its step already passed), and taking it for the next line's would type that line
 * too early (`docker attach` before `docker start` finished).
 */
function reportOf(cmd: string) {
  const want = normaliseCommand(cmd);
  return nextEvent((e) => {
    const r = commandOn(e);
    return r && normaliseCommand(r.cmd) === want ? r : undefined;
  }, `the command report of \`${cmd}\``);
}

/**
 * The command typed last at the machine's prompt whose report has not come yet: a server in
 * the foreground, or a container's shell (`inShell`). Keys and lines typed while it runs go to
 * it, and its report is the one they end with.
 */
let running: { cmd: string; inShell: boolean } | undefined;

const INTERACTIVE =
  /^docker (container )?((run|create|start)\b.*\s-(it|ti|i -t|t -i|a)\b|exec\s+-(it|ti|i -t)\b|attach\b)/;
const CONTAINER_PROMPT = /(@[0-9a-f]{12}:[^\n]*|bash-\d\.\d)[#$] ?$/;

/** Type one solution line and wait until it has visibly taken effect. */
async function typeLine(line: string, runner: LessonRunner, step: Step): Promise<void> {
  outputs.length = 0;
  const input = solutionInput(line);
  const keysOnly = !input.endsWith("\r");
  if (!running?.inShell && !keysOnly && INTERACTIVE.test(line)) {
    // Wait for the container's shell prompt: then the docker CLI forwards keys in raw mode.
    let text = "";
    const prompt = nextEvent((e) => {
      if (e.type !== "output" || e.port !== PORT) return undefined;
      text += stripAnsi(new TextDecoder().decode(e.data));
      return CONTAINER_PROMPT.test(text) ? true : undefined;
    }, `a container prompt after \`${line}\``);
    const attached = /\battach\b/.test(line)
      ? nextEvent(
          (e) =>
            e.type === "agent" && e.event.event === "docker" && e.event.data.Action === "attach"
              ? true
              : undefined,
          `the attach event of \`${line}\``,
        )
      : undefined;
    running = { cmd: line, inShell: true };
    machine.write(PORT, input);
    if (attached) {
      // bash behind `attach` prints nothing until it gets a line.
      await attached.promise;
      machine.write(PORT, "\r");
    }
    await prompt.promise;
    return;
  }
  if (running?.inShell) {
    // Solutions only type lines that leave the shell (exit, Ctrl+P Ctrl+Q): the docker command
    // that opened it then reports.
    const report = reportOf(running.cmd);
    machine.write(PORT, input);
    await report.promise;
    return;
  }
  const target = keysOnly ? running?.cmd : line;
  if (!keysOnly) running = { cmd: line, inShell: false };
  const report = target ? reportOf(target) : undefined;
  const passed = runner.waitFor((s) => stepDone(s, step.id));
  machine.write(PORT, input);
  // A server in the foreground never reports until it is stopped: the step passing is enough.
  await (report ? Promise.race([report.promise, passed]) : passed);
  report?.cancel();
}

function stepDone(s: LessonState, id: string): boolean {
  return s.steps.find((x) => x.id === id)?.status === "done";
}

function failing(s: LessonState, id: string): string[] {
  return (s.steps.find((x) => x.id === id)?.checks ?? [])
    .filter((c) => !c.pass)
    .map((c) => c.explanation?.en ?? "");
}

async function waitStep(runner: LessonRunner, step: Step): Promise<void> {
  const signal = AbortSignal.timeout(STEP_TIMEOUT_MS);
  try {
    await runner.waitFor((s) => stepDone(s, step.id), signal);
  } catch {
    throw new Error(
      `step "${step.id}" did not pass after its solution:\n  ${failing(runner.state, step.id).join("\n  ")}`,
    );
  }
}

async function tryWrong(runner: LessonRunner, step: Step, wrong: (typeof WRONG)[string]) {
  const report = reportOf(wrong.cmd);
  machine.write(PORT, solutionInput(wrong.cmd));
  await report.promise;
  await runner.evaluate();
  const state = runner.state;
  expect(
    stepDone(state, step.id),
    `the wrong command \`${wrong.cmd}\` passed step ${step.id}`,
  ).toBe(false);
  const explanations = failing(state, step.id);
  expect(
    explanations.some((e) => wrong.expect.test(e)),
    `explanations were:\n${explanations.join("\n")}`,
  ).toBe(true);
  const ko = state.steps
    .find((x) => x.id === step.id)!
    .checks.filter((c) => !c.pass)
    .map((c) => c.explanation?.ko);
  expect(ko.every((k) => !!k)).toBe(true);
  if (wrong.undo) {
    const r = await machine.exec(["sh", "-c", wrong.undo], { timeoutMs: 60_000 });
    expect(r.exit, r.stderr).toBe(0);
  }
}

/** Lesson orders that replayed green in this run. */
const passedInRun = new Set<number>();
/** Per lesson: milliseconds, for the summary at the end. */
const timings: { folder: string; ms: number }[] = [];

/** Make the state `lesson` starts from when the lesson before it did not just run. */
async function prepare(lesson: Lesson): Promise<void> {
  if (lesson.order === 1 || passedInRun.has(lesson.order - 1)) return;
  const started = Date.now();
  const recipe = PREPARE[lesson.id];
  expect(recipe, `lesson ${lesson.id} needs its starting state in PREPARE`).toBeDefined();
  for (const id of recipe!.files ?? []) {
    const other = allLessons.find((l) => l.id === id)!;
    await new LessonRunner({
      lesson: other,
      engine,
      progress: new MemoryProgressStore(),
    }).copyFiles();
  }
  const r = await machine.exec(["sh", "-c", recipe!.sh], { timeoutMs: 300_000 });
  expect(r.exit, `preparing ${lesson.id}: ${r.stderr}`).toBe(0);
  console.log(`[replay] ${lesson.folder} prepared in ${Date.now() - started} ms`);
}

async function replay(lesson: Lesson) {
  const lessonStarted = Date.now();
  await prepare(lesson);
  const runner = new LessonRunner({
    lesson,
    engine,
    progress: new MemoryProgressStore(),
    http: guestCurlProbe(engine),
  });
  const offLatency = runner.onChange((s) => {
    if (!s.evaluating && s.lastLatencyMs !== undefined) latencies.push(s.lastLatencyMs);
  });
  try {
    await runner.start();
    const wrong = WRONG[lesson.id];
    expect(wrong, `lesson ${lesson.id} needs a wrong command in WRONG`).toBeDefined();
    for (const step of lesson.steps) {
      if (wrong?.step === step.id) {
        const wrongStarted = Date.now();
        await tryWrong(runner, step, wrong);
        console.log(
          `[replay] ${lesson.folder}#${step.id} wrong command explained in ${Date.now() - wrongStarted} ms`,
        );
      }
      const started = Date.now();
      for (const line of step.solution) await typeLine(line, runner, step);
      await waitStep(runner, step);
      console.log(`[replay] ${lesson.folder}#${step.id} green in ${Date.now() - started} ms`);
    }
    expect(runner.state.completed).toBe(true);
    passedInRun.add(lesson.order);
    timings.push({ folder: lesson.folder, ms: Date.now() - lessonStarted });
    console.log(`[replay] ${lesson.folder} green in ${Date.now() - lessonStarted} ms`);
    if (process.env.RECORD_FIXTURES && lesson.id === "web-server") await recordFixture(lesson);
  } finally {
    offLatency();
    runner.dispose();
  }
}

/** Save the real engine's answers to this lesson's checks (the unit tests replay them). */
async function recordFixture(lesson: Lesson) {
  const recorder = new RecordingAgent(agentOf(machine));
  const view = new EngineView(new DockerEngine(recorder));
  const http = guestCurlProbe(engine);
  for (const step of lesson.steps)
    for (const check of step.checks)
      if (check.kind !== "command") await runCheck(check, { view, http, commands: [] });
  recorder.save(
    path.join(projectRoot, "test/fixtures/agent/recorded-07-web-server.json"),
    "Recorded from the real guest (Docker 20.10, API 1.41) at the end of lesson 07-web-server by test/integration/lessons-replay.test.ts with RECORD_FIXTURES=1.",
  );
}

beforeAll(async () => {
  expect(errors).toEqual([]);
  try {
    machine = restoredMachine();
  } catch (err) {
    // Without a saved state (early in the project) boot instead: slower, same guest.
    if (!(err instanceof MissingArtifactError) || !process.env.LESSONS_ALLOW_BOOT) throw err;
    machine = bootingMachine({ readyTimeoutMs: 290_000 });
  }
  attachBundledRegistry(machine);
  machine.on((e) => {
    if (e.type === "output" && e.port === PORT) outputs.push(new TextDecoder().decode(e.data));
    const report = commandOn(e);
    if (report && normaliseCommand(report.cmd) === normaliseCommand(running?.cmd ?? ""))
      running = undefined;
  });
  const started = Date.now();
  await machine.start();
  console.log(`[replay] guest restored and ready in ${Date.now() - started} ms`);
  // A learner's terminal always has a size (the page sends it). Without one the container's
  // bash behind `docker attach` gets a 0x0 tty and never draws its prompt.
  await machine.resize(PORT, 24, 80);
  engine = new DockerEngine(agentOf(machine));
});

afterAll(async () => {
  if (timings.length) {
    const total = timings.reduce((a, t) => a + t.ms, 0);
    console.log(
      `[replay] ${timings.length} lesson(s) green in ${(total / 1000).toFixed(1)} s: ${timings.map((t) => `${t.folder} ${(t.ms / 1000).toFixed(1)} s`).join(", ")}`,
    );
  }
  if (latencies.length) {
    const sorted = [...latencies].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    console.log(
      `check_latency_ms: median ${q(0.5)}, p95 ${q(0.95)}, max ${sorted[sorted.length - 1]} over ${sorted.length} evaluations`,
    );
  }
  await machine?.dispose();
});

describe("every lesson replays green on the real guest", () => {
  for (const lesson of lessons) {
    it(
      `${lesson.folder}: solutions pass, a wrong command gets its explanation`,
      () => replay(lesson),
      1_200_000,
    );
  }
});
