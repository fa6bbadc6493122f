import { describe, expect, it } from "vitest";
import { DockerEngine } from "../../src/engine/docker.ts";
import type { HttpProbe } from "../../src/engine/http.ts";
import { parsePack } from "../../src/lessons/parse.ts";
import { MemoryProgressStore, lessonList } from "../../src/lessons/progress.ts";
import { LessonRunner, solutionInput } from "../../src/lessons/runner.ts";
import type { Lesson } from "../../src/lessons/schema.ts";
import type { AgentEvent } from "../../src/vm/protocol.ts";
import { RecordedAgent, loadFixture } from "../fixtures/agent/recorded-agent.ts";

const fixture = loadFixture("state-web.json");

const LESSON = `---
id: web-server
title: A web server
summary: httpd on 818
creates: {containers: [web], images: ["my_game:1.0"]}
files: [{from: files, to: /root/game}]
---

## Say hello {#hello}
<!-- check: command {matches: "docker (container )?run hello-world"} -->
<!-- check: container {image: hello-world, state: exited, exitCode: 0} -->
<!-- hint: one -->
<!-- hint: two -->
<!-- solution: docker run hello-world -->

## Serve {#serve}
<!-- check: container {name: web, state: running, ports: ["818:80"]} -->
<!-- check: http {port: 818, contains: "It works"} -->
<!-- solution: docker run -d --name web -p 818:80 httpd -->
`;

function lesson(): Lesson {
  const { lessons, errors } = parsePack(
    new Map([
      ["07-web-server/lesson.md", LESSON],
      ["07-web-server/files/index.html", "<h1>héllo</h1>"],
    ]),
  );
  expect(errors).toEqual([]);
  return lessons[0]!;
}

const command = (cmd: string, exit = 0): AgentEvent => ({
  event: "command",
  port: 1,
  seq: 1,
  cmd,
  exit,
  cwd: "/root",
});
const dockerEvent = (Action: string): AgentEvent => ({
  event: "docker",
  data: { Type: "container", Action, Actor: { ID: "x", Attributes: {} }, time: 1, timeNano: 1 },
});

function setup(
  http: HttpProbe = async () => ({ ok: true, status: 200, body: "<h1>It works!</h1>" }),
) {
  const agent = new RecordedAgent(fixture);
  const store = new MemoryProgressStore();
  const runner = new LessonRunner({
    lesson: lesson(),
    engine: new DockerEngine(agent),
    progress: store,
    http,
    httpRetryDelaysMs: [1, 1, 1],
  });
  return { agent, store, runner };
}

describe("LessonRunner", () => {
  it("checks the current step on start and explains what is missing", async () => {
    const { runner, agent } = setup();
    const state = await runner.start();
    expect(state.currentStepId).toBe("hello");
    expect(state.steps.map((s) => s.status)).toEqual(["current", "todo"]);
    const [cmdCheck, containerCheck] = state.steps[0]!.checks;
    expect(cmdCheck).toMatchObject({ pass: false });
    expect(cmdCheck!.explanation!.en).toMatch(/^No command matching/);
    expect(containerCheck).toMatchObject({ pass: true });
    // First start copies the lesson's files into the guest.
    const copy = agent.requests.find(
      (r) => r.op === "exec" && r.argv.includes("/root/game/index.html"),
    );
    expect(
      copy && copy.op === "exec" && Buffer.from(copy.stdin ?? "", "base64").toString("utf8"),
    ).toBe("<h1>héllo</h1>");
    runner.dispose();
  });

  it("re-checks when a command finishes, moves on, and completes; progress survives a new runner", async () => {
    const { runner, agent, store } = setup();
    await runner.start();
    agent.emit(command("docker  run hello-world"));
    const done = await runner.waitFor((s) => s.completed);
    expect(done.steps.map((s) => s.status)).toEqual(["done", "done"]);
    expect(done.lastLatencyMs).toBeGreaterThanOrEqual(0);
    expect((await store.get("web-server"))?.passed).toEqual(["hello", "serve"]);
    expect((await store.get("web-server"))?.completedAt).toBeTypeOf("number");
    runner.dispose();

    const again = new LessonRunner({
      lesson: lesson(),
      engine: new DockerEngine(agent),
      progress: store,
    });
    expect((await again.start()).completed).toBe(true);
    expect(await lessonList([lesson()], store)).toMatchObject([
      { id: "web-server", passed: 2, steps: 2, completed: true },
    ]);
    again.dispose();
  });

  it("does not count commands from before the step began", async () => {
    const { runner, agent } = setup(async () => ({
      ok: false,
      reason: "refused",
      detail: "refused",
    }));
    await runner.start();
    agent.emit(command("docker run hello-world"));
    const s = await runner.waitFor(
      (st) => st.steps[0]!.status === "done" && st.steps[1]!.checks.length > 0,
    );
    expect(s.currentStepId).toBe("serve");
    expect(s.steps[1]!.checks[1]!.explanation!.en).toMatch(/^Nothing answers on port 818/);
    runner.dispose();
  });

  it("retries an HTTP check while the server is starting", async () => {
    let calls = 0;
    const { runner, agent } = setup(async () =>
      ++calls < 3
        ? { ok: false, reason: "refused", detail: "refused" }
        : { ok: true, status: 200, body: "It works" },
    );
    await runner.start();
    agent.emit(command("docker run hello-world"));
    await runner.waitFor((s) => s.completed);
    expect(calls).toBe(3);
    runner.dispose();
  });

  it("folds bursts of events into few evaluations and ignores its own exec noise", async () => {
    const { runner, agent } = setup();
    await runner.start();
    const before = runner.state.evaluations;
    for (let i = 0; i < 10; i++) agent.emit(dockerEvent("start"));
    agent.emit(dockerEvent("exec_start: sh -c ls"));
    await runner.evaluate();
    expect(runner.state.evaluations - before).toBeLessThanOrEqual(3);
    expect(runner.state.evaluations - before).toBeGreaterThanOrEqual(1);
    runner.dispose();
  });

  it("reveals hints one by one and the solution, and remembers it", async () => {
    const { runner, store } = setup();
    await runner.start();
    expect(await runner.revealHint()).toBe(1);
    expect(await runner.revealHint()).toBe(2);
    expect(await runner.revealHint()).toBe(2);
    expect(await runner.revealSolution()).toEqual(["docker run hello-world"]);
    expect(runner.state.steps[0]).toMatchObject({
      hintsShown: 2,
      hintCount: 2,
      solutionShown: true,
    });
    expect((await store.get("web-server"))?.hintsShown).toEqual({ hello: 2 });
    runner.dispose();
  });

  it("restart removes what the lesson created, forgets progress and copies files again", async () => {
    const { runner, agent, store } = setup();
    await runner.start();
    agent.emit(command("docker run hello-world"));
    await runner.waitFor((s) => s.completed);
    agent.requests.length = 0;
    const state = await runner.restart();
    const deletes = agent.requests
      .filter((r) => r.op === "api" && r.method === "DELETE")
      .map((r) => r.op === "api" && r.path);
    expect(deletes).toEqual([
      "/v1.41/containers/web?force=1&v=0",
      "/v1.41/images/my_game%3A1.0?force=1",
    ]);
    expect(
      agent.requests.some((r) => r.op === "exec" && r.argv.includes("/root/game/index.html")),
    ).toBe(true);
    expect(state.currentStepId).toBe("hello");
    expect((await store.get("web-server"))?.passed).toEqual([]);
    runner.dispose();
  });
});

describe("solution lines as terminal input", () => {
  it("types commands with Enter and sends keys alone", () => {
    expect(solutionInput("docker ps -a")).toBe("docker ps -a\r");
    expect(solutionInput("<Ctrl+P><Ctrl+Q>")).toBe("\x10\x11");
    expect(solutionInput("<Ctrl+C>")).toBe("\x03");
  });
});
