import { describe, expect, it } from "vitest";
import * as v from "valibot";
import { DockerEngine } from "../../src/engine/docker.ts";
import type { HttpProbe } from "../../src/engine/http.ts";
import {
  EngineView,
  exampleCommand,
  runCheck,
  type CheckContext,
} from "../../src/lessons/checks.ts";
import { CheckSchema, type Check } from "../../src/lessons/schema.ts";
import type { CommandReport } from "../../src/vm/protocol.ts";
import { RecordedAgent, loadFixture } from "../fixtures/agent/recorded-agent.ts";

const fixture = loadFixture("state-web.json");

const http: HttpProbe = async (port) => {
  if (port === 818)
    return {
      ok: true,
      status: 200,
      body: "<html><title>Whale Catch</title><canvas></canvas></html>",
    };
  if (port === 80)
    return { ok: true, status: 200, body: "<html><body><h1>It works!</h1></body></html>" };
  return { ok: false, reason: "refused", detail: "Connection refused" };
};

function cmd(cmdline: string, exit = 0, cwd = "/root", seq = 1): CommandReport {
  return { port: 1, seq, cmd: cmdline, exit, cwd };
}

async function check(
  raw: Record<string, unknown>,
  commands: CommandReport[] = [],
  agent = new RecordedAgent(fixture),
) {
  const c: Check = v.parse(CheckSchema, raw);
  const ctx: CheckContext = { view: new EngineView(new DockerEngine(agent)), http, commands };
  return runCheck(c, ctx);
}

const fails = async (raw: Record<string, unknown>, commands: CommandReport[] = []) => {
  const r = await check(raw, commands);
  expect(r.pass, JSON.stringify(r.label)).toBe(false);
  expect(r.explanation?.ko).toBeTruthy();
  return r.explanation?.en;
};
const passes = async (raw: Record<string, unknown>, commands: CommandReport[] = []) => {
  const r = await check(raw, commands);
  expect(r.explanation?.en, JSON.stringify(r.label)).toBeUndefined();
  expect(r.pass).toBe(true);
};

describe("container checks", () => {
  it("passes on the real state shape", async () => {
    await passes({
      kind: "container",
      name: "web",
      image: "httpd",
      state: "running",
      ports: ["818:80"],
    });
    await passes({ kind: "container", name: "web", process: "httpd -DFOREGROUND" });
    await passes({ kind: "container", image: "hello-world", state: "exited", exitCode: 0 });
    await passes({
      kind: "container",
      image: "docker.io/library/hello-world:latest",
      state: "exited",
    });
  });

  it("says the container is stopped, not just wrong", async () => {
    expect(await fails({ kind: "container", name: "webserver", state: "running" })).toBe(
      "A container named `webserver` exists but it is exited (exit code 0); the step asks for it to be running.",
    );
  });

  it("says which port a port is published on", async () => {
    expect(await fails({ kind: "container", name: "web", ports: ["8080:80"] })).toBe(
      "Port 80 of `web` is published on 818; the step asks for 8080.",
    );
    expect(await fails({ kind: "container", name: "hello", ports: ["818:80"] })).toMatch(
      /^Port 80 of `hello` is not published; the step asks for -p 818:80/,
    );
    expect(await fails({ kind: "container", name: "web", ports: ["818:8080"] })).toBe(
      "Host port 818 leads to port 80/tcp of `web`; the step asks for container port 8080 (-p 818:8080).",
    );
  });

  it("names what exists when the name is wrong", async () => {
    expect(await fails({ kind: "container", name: "web2" })).toBe(
      "There is no container named `web2` (containers: web (running), webserver (exited), elegant_turing (exited), hello (exited)).",
    );
    expect(await fails({ kind: "container", name: "greeter", image: "hello-world" })).toMatch(
      /the container made from `hello-world` is named `elegant_turing`. Give it the name with --name greeter/,
    );
    expect(await fails({ kind: "container", name: "web", image: "nginx" })).toBe(
      "The container `web` runs the image `httpd`; the step asks for `nginx`.",
    );
  });

  it("explains exit codes and still-running containers", async () => {
    expect(await fails({ kind: "container", name: "hello", exitCode: 0 })).toBe(
      "The container `hello` exited with code 130; the step expects 0.",
    );
    expect(await fails({ kind: "container", name: "web", state: "exited" })).toMatch(
      /still running/,
    );
    expect(await fails({ kind: "container", image: "whalesay" })).toMatch(
      /^No container was made from `whalesay`/,
    );
    expect(await fails({ kind: "container", name: "web", autoRemove: true })).toBe(
      "`web` was created without --rm.",
    );
    expect(
      await fails({ kind: "container", name: "web", mounts: [{ destination: "/data" }] }),
    ).toMatch(/Nothing is mounted at \/data/);
    expect(await fails({ kind: "container", name: "web", process: "nginx" })).toMatch(
      /No process in `web` runs `nginx`/,
    );
  });

  it("noContainer tells what is left", async () => {
    await passes({ kind: "noContainer", name: "web2" });
    expect(await fails({ kind: "noContainer", name: "web" })).toBe(
      "A container named `web` still exists (running); stop it first or remove it with -f.",
    );
    expect(await fails({ kind: "noContainer", image: "nginx" })).toBe(
      "1 container(s) made from `nginx` still exist: webserver (exited).",
    );
  });
});

describe("image checks", () => {
  it("finds tags and explains a wrong tag", async () => {
    await passes({ kind: "image", ref: "my_game:1.0", minLayers: 4, sharesLayersWith: "httpd" });
    expect(await fails({ kind: "image", ref: "my_game:2.0" })).toBe(
      "There is no image `my_game:2.0`; `my_game` has: my_game:1.0. Check the tag after ':'.",
    );
    expect(await fails({ kind: "image", ref: "ubuntu:14.04" })).toMatch(
      /^There is no image `ubuntu:14.04` \(images: my_game:1.0, httpd:latest/,
    );
  });

  it("checks layers, shared base layers, history and pushes", async () => {
    expect(await fails({ kind: "image", ref: "httpd", minLayers: 5 })).toBe(
      "`httpd:latest` has 3 layer(s); the step expects at least 5.",
    );
    expect(await fails({ kind: "image", ref: "my_game:1.0", sharesLayersWith: "nginx" })).toBe(
      "`my_game:1.0` does not sit on `nginx:latest`: it shares 1 of `nginx:latest`'s 2 layers.",
    );
    await passes({ kind: "image", ref: "my_game:1.0", history: "COPY" });
    expect(await fails({ kind: "image", ref: "my_game:1.0", history: "RUN apt-get" })).toMatch(
      /the newest says `httpd-foreground`/,
    );
    expect(
      await fails({ kind: "image", ref: "my_game:1.0", pushedTo: "registry.local:5000" }),
    ).toMatch(/has not been pushed there/);
  });

  it("noImage names the container that still uses the image", async () => {
    await passes({ kind: "noImage", ref: "whalesay" });
    expect(await fails({ kind: "noImage", ref: "nginx" })).toBe(
      "The image `nginx:latest` is still here; container `webserver` uses it — remove the container first or use -f.",
    );
  });

  it("counts dangling images", async () => {
    await passes({ kind: "danglingImages", min: 1 });
    expect(await fails({ kind: "danglingImages", max: 0 })).toBe(
      "There are still 1 dangling (<none>) image(s): 0f1e2d3c4b5a.",
    );
  });
});

describe("changes, files, volumes, http", () => {
  it("reads docker diff", async () => {
    await passes({
      kind: "change",
      container: "web",
      path: "/usr/local/apache2/htdocs/game.js",
      change: "added",
    });
    expect(
      await fails({
        kind: "change",
        container: "web",
        path: "/usr/local/apache2/htdocs/index.html",
        change: "added",
      }),
    ).toBe(
      "/usr/local/apache2/htdocs/index.html is changed (C) in `web`; the step expects it added.",
    );
    expect(await fails({ kind: "change", container: "web", path: "/etc/passwd" })).toMatch(
      /does not list \/etc\/passwd; it lists: C \/usr/,
    );
  });

  it("reads files in containers and volumes", async () => {
    await passes({
      kind: "file",
      container: "web",
      path: "/usr/local/apache2/htdocs/index.html",
      contains: "<canvas",
    });
    expect(
      await fails({
        kind: "file",
        container: "web",
        path: "/usr/local/apache2/htdocs/index.html",
        contains: "pacman",
      }),
    ).toBe(
      "/usr/local/apache2/htdocs/index.html in container `web` exists but does not contain `pacman`.",
    );
    expect(
      await fails({ kind: "file", container: "web", path: "/usr/local/apache2/htdocs/x.js" }),
    ).toBe("Container `web` has no file /usr/local/apache2/htdocs/x.js.");
    await passes({ kind: "file", volume: "data", path: "/note.txt", contains: "hello" });
    await passes({ kind: "volume", name: "data" });
    expect(await fails({ kind: "volume", name: "nope" })).toBe("There is no volume named `nope`.");
  });

  it("asks the published port", async () => {
    await passes({ kind: "http", port: 818, contains: "canvas" });
    expect(await fails({ kind: "http", port: 900 })).toMatch(
      /^Nothing answers on port 900 \(connection refused\)/,
    );
    expect(await fails({ kind: "http", port: 80, contains: "canvas" })).toBe(
      "Port 80 answers, but the page does not contain `canvas`; it shows `It works!`.",
    );
  });
});

describe("command log checks", () => {
  it("matches the whole command with spaces collapsed", async () => {
    await passes({ kind: "command", matches: "docker (-v|--version)" }, [cmd("docker   -v ")]);
    expect(
      await fails({ kind: "command", matches: "docker version" }, [cmd("docker verison", 1)]),
    ).toBe(
      "No command matching `docker version` has finished since this step began (your last command was `docker verison`, exit 1).",
    );
    expect(await fails({ kind: "command", matches: "docker version" })).toBe(
      "No command matching `docker version` has finished since this step began.",
    );
  });

  it("explains exit codes and the working directory", async () => {
    expect(
      await fails({ kind: "command", matches: "docker rmi nginx" }, [cmd("docker rmi nginx", 1)]),
    ).toMatch(/^`docker rmi nginx` finished with exit code 1; the step expects 0/);
    await passes({ kind: "command", matches: "docker rmi nginx", exit: "nonzero" }, [
      cmd("docker rmi nginx", 1),
    ]);
    expect(
      await fails({ kind: "command", matches: "docker rmi nginx", exit: "nonzero" }, [
        cmd("docker rmi nginx", 0),
      ]),
    ).toMatch(/succeeded \(exit 0\); this step wants to see it fail/);
    expect(
      await fails({ kind: "command", matches: "docker build .*", cwd: "/root/game" }, [
        cmd("docker build -t a .", 0, "/root"),
      ]),
    ).toBe(
      "`docker build -t a .` ran in /root; the step expects it in /root/game (cd /root/game).",
    );
  });
});

describe("engine trouble", () => {
  it("marks a check unavailable instead of blaming the learner", async () => {
    const agent = new RecordedAgent(fixture);
    agent.request = async () => ({ id: 1, ok: false, error: "dockerd is not running" });
    const r = await check({ kind: "container", name: "web" }, [], agent);
    expect(r).toMatchObject({ pass: false, unavailable: true });
    expect(r.explanation?.en).toBe("Could not ask the engine: agent: dockerd is not running");
  });
});

describe("a command check's label", () => {
  it("shows one command the pattern matches, not the pattern", () => {
    const cases: [string, string][] = [
      ["docker (container )?run hello-world(:latest)?", "docker run hello-world"],
      ["docker (-v|--version)", "docker -v"],
      [
        "docker (images|image (ls|list)) (-f|--filter)[ =]dangling=true",
        "docker images -f dangling=true",
      ],
      ["docker (image )?build (--tag|-t)[ =]my_game:2\\.0 \\.", "docker build --tag my_game:2.0 ."],
      [
        "docker (container )?run .*--rm.*whalesay.*cowsay.*",
        "docker run … --rm … whalesay … cowsay …",
      ],
      ["uname( -\\w+)*", "uname"],
      ["^docker (?:system )?info$", "docker info"],
    ];
    for (const [pattern, example] of cases) expect(exampleCommand(pattern)).toBe(example);
  });

  it("keeps a pattern it cannot read as one command", () => {
    expect(exampleCommand("docker (run|start)+ {2}x")).toBe("docker (run|start)+ {2}x");
  });
});
