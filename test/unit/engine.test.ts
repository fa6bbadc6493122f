import { describe, expect, it } from "vitest";
import {
  DockerEngine,
  EngineError,
  canonicalRef,
  familiarRef,
  familiarRepository,
  parseImageRef,
  sameImageRef,
} from "../../src/engine/index.ts";
import { guestCurlProbe } from "../../src/engine/http.ts";
import { agentOf } from "../../src/engine/agent.ts";
import type { MachineEvent } from "../../src/vm/protocol.ts";
import { RecordedAgent, loadFixture } from "../fixtures/agent/recorded-agent.ts";

const fixture = loadFixture("state-web.json");

describe("image references", () => {
  it("normalises like Docker", () => {
    expect(canonicalRef("nginx")).toBe("docker.io/library/nginx:latest");
    expect(canonicalRef("docker.io/library/nginx:latest")).toBe("docker.io/library/nginx:latest");
    expect(canonicalRef("docker/whalesay")).toBe("docker.io/docker/whalesay:latest");
    expect(canonicalRef("registry.local:5000/my_game:2.0")).toBe("registry.local:5000/my_game:2.0");
    expect(canonicalRef("localhost/app")).toBe("localhost/app:latest");
    expect(parseImageRef("nginx@sha256:abc")).toEqual({
      registry: "docker.io",
      repository: "library/nginx",
      tag: "latest",
      digest: "sha256:abc",
    });
    expect(familiarRef("docker.io/library/httpd")).toBe("httpd:latest");
    expect(familiarRepository("registry.local:5000/my_game:2.0")).toBe(
      "registry.local:5000/my_game",
    );
    expect(sameImageRef("httpd", "httpd:latest")).toBe(true);
    expect(sameImageRef("httpd:2.4", "httpd")).toBe(false);
  });
});

describe("DockerEngine over recorded agent replies", () => {
  it("lists containers and inspects one by name", async () => {
    const agent = new RecordedAgent(fixture);
    const engine = new DockerEngine(agent);
    const list = await engine.containers();
    expect(list.map((c) => c.Names[0])).toEqual([
      "/web",
      "/webserver",
      "/elegant_turing",
      "/hello",
    ]);
    const web = await engine.container("web");
    expect(web?.State.Status).toBe("running");
    expect(web?.HostConfig.PortBindings?.["80/tcp"]?.[0]?.HostPort).toBe("818");
    expect(agent.requests[0]).toEqual({
      op: "api",
      method: "GET",
      path: "/v1.41/containers/json?all=1",
    });
  });

  it("turns 404 into undefined and other errors into EngineError with the engine's message", async () => {
    const agent = new RecordedAgent(fixture);
    const engine = new DockerEngine(agent);
    expect(await engine.container("nope")).toBeUndefined();
    expect(await engine.image("ubuntu:14.04")).toBeUndefined();
    agent.set("GET /v1.41/images/json", 500, { message: "layer does not exist" });
    await expect(engine.images()).rejects.toThrow(new EngineError("layer does not exist", 500));
    agent.request = async () => ({ id: 1, ok: false, error: "agent timed out" });
    await expect(engine.containers()).rejects.toThrow(/agent timed out/);
  });

  it("reads images, history, changes, top and volumes", async () => {
    const engine = new DockerEngine(new RecordedAgent(fixture));
    expect((await engine.image("my_game:1.0"))?.RootFS.Layers).toHaveLength(4);
    expect((await engine.history("my_game:1.0"))[2]?.CreatedBy).toContain("COPY");
    expect(
      (
        await engine.changes("3f1c2a9b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a")
      ).find((c) => c.Kind === 1)?.Path,
    ).toBe("/usr/local/apache2/htdocs/game.js");
    expect((await engine.volumes()).map((v) => v.Name)).toEqual(["data"]);
    expect((await engine.version()).ApiVersion).toBe("1.41");
  });

  it("reads a file from a running container's merged dir without an engine call that emits events", async () => {
    const agent = new RecordedAgent(fixture);
    const engine = new DockerEngine(agent);
    expect(await engine.readFile("web", "/usr/local/apache2/htdocs/index.html")).toEqual({
      found: true,
      content: expect.stringContaining("<canvas"),
      truncated: false,
    });
    expect(await engine.readFile("web", "/usr/local/apache2/htdocs")).toEqual({
      found: false,
      reason: "directory",
    });
    expect(await engine.readFile("web", "/nope")).toEqual({ found: false, reason: "missing" });
    expect(await engine.readFile("nope", "/x")).toBeUndefined();
    expect(agent.requests.some((r) => r.op === "api" && r.path.includes("archive"))).toBe(false);
    expect(await engine.readVolumeFile("data", "/note.txt")).toMatchObject({
      found: true,
      content: "hello from a volume\n",
    });
  });

  it("removes containers and images, and says whether they existed", async () => {
    const agent = new RecordedAgent(fixture);
    const engine = new DockerEngine(agent);
    agent.set("DELETE /v1.41/containers/web?force=1&v=0", 204, "");
    expect(await engine.removeContainer("web", { force: true })).toBe(true);
    expect(await engine.removeContainer("ghost", { force: true })).toBe(false);
    agent.set("DELETE /v1.41/images/nginx?force=0", 409, {
      message:
        'conflict: unable to remove repository reference "nginx" (must force) - container 5c17b6cbcddd is using its referenced image 42b4762643dc',
    });
    await expect(engine.removeImage("nginx")).rejects.toThrow(/must force/);
  });

  it("passes docker events and command reports to their listeners", () => {
    const agent = new RecordedAgent(fixture);
    const engine = new DockerEngine(agent);
    const seen: string[] = [];
    const off1 = engine.onDockerEvent((e) => seen.push(`docker:${e.Action}`));
    const off2 = engine.onCommand((c) => seen.push(`cmd:${c.cmd}:${c.exit}`));
    agent.emit({
      event: "docker",
      data: {
        Type: "container",
        Action: "start",
        Actor: { ID: "x", Attributes: {} },
        time: 1,
        timeNano: 1,
      },
    });
    agent.emit({ event: "command", port: 1, seq: 3, cmd: "docker ps", exit: 0, cwd: "/root" });
    agent.emit({ event: "dockerd", up: true });
    off1();
    off2();
    agent.emit({ event: "command", port: 1, seq: 4, cmd: "ls", exit: 0, cwd: "/root" });
    expect(seen).toEqual(["docker:start", "cmd:docker ps:0"]);
  });

  it("probes HTTP with curl in the guest", async () => {
    const agent = new RecordedAgent(fixture);
    agent.execHandler = (argv) => {
      if (argv[0] !== "curl") return undefined;
      const url = argv[argv.length - 1];
      if (url === "http://127.0.0.1:818/")
        return { exit: 0, stdout: "<h1>It works!</h1>\n--http-status--200", stderr: "" };
      return {
        exit: 7,
        stdout: "",
        stderr: "curl: (7) Failed to connect to 127.0.0.1 port 819: Connection refused",
      };
    };
    const probe = guestCurlProbe(new DockerEngine(agent));
    expect(await probe(818, "/")).toEqual({ ok: true, status: 200, body: "<h1>It works!</h1>" });
    expect(await probe(819, "/")).toMatchObject({ ok: false, reason: "refused" });
  });
});

describe("agentOf", () => {
  it("adapts a machine's agent() and event stream, passing only agent events", async () => {
    const listeners = new Set<(e: MachineEvent) => void>();
    const machine = {
      agent: async () => ({
        id: 7,
        ok: true as const,
        op: "ping" as const,
        dockerd: true,
        uptimeMs: 5,
      }),
      on: (fn: (e: MachineEvent) => void) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    };
    const agent = agentOf(machine);
    expect(await agent.request({ op: "ping" })).toMatchObject({ ok: true, dockerd: true });
    const seen: string[] = [];
    const off = agent.onEvent((e) => seen.push(e.event));
    for (const l of listeners) {
      l({ type: "console", text: "boot" });
      l({ type: "agent", event: { event: "dockerd", up: true } });
    }
    off();
    expect(listeners.size).toBe(0);
    expect(seen).toEqual(["dockerd"]);
  });
});
