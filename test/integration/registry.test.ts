// The in-page registry against the real guest: dockerd pulls, runs, pushes and searches
// through v86's network exactly as it would against Docker Hub.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Machine } from "../../src/vm/machine.ts";
import { attachBundledRegistry, restoredMachine } from "../../src/vm/node.ts";
import type { BundledIndex } from "../../src/vm/registry/bundled.ts";

let machine: Machine;
let index: BundledIndex;
const requests: string[] = [];

/** Runs a shell command in the guest (not in a learner terminal); stdout and stderr merged. */
async function sh(cmd: string, timeoutMs = 400_000): Promise<{ exit: number; out: string }> {
  const r = await machine.exec(["sh", "-c", `${cmd} 2>&1`], { timeoutMs });
  return { exit: r.exit, out: r.stdout + r.stderr };
}

/** Polls inside the guest until `cmd` succeeds; fails with its last output after `tries`. */
async function until(cmd: string, tries = 100): Promise<string> {
  const r = await sh(
    `i=0; until ${cmd}; do i=$((i+1)); [ $i -ge ${tries} ] && exit 1; sleep 0.1; done`,
  );
  if (r.exit !== 0) throw new Error(`never succeeded: ${cmd}\n${r.out}`);
  return r.out;
}

const digestOf = (repo: string, tag = "latest") => index.repositories[repo]!.tags[tag]!;

beforeAll(async () => {
  machine = restoredMachine();
  ({ index } = attachBundledRegistry(machine, {
    onRequest: (req, res) => requests.push(`${req.method} ${req.target} ${res.status}`),
  }));
  await machine.start();
});

afterAll(async () => {
  await machine?.dispose();
});

// Pulls in the emulator take tens of seconds (extraction to the emulated disk dominates).
describe("bundled images through the in-page registry", { timeout: 900_000 }, () => {
  it("docker run hello-world pulls it and prints our explanation", async () => {
    const r = await sh("docker run --rm hello-world");
    expect(r.exit, r.out).toBe(0);
    expect(r.out).toContain("Unable to find image 'hello-world:latest' locally");
    expect(r.out).toContain("latest: Pulling from library/hello-world");
    expect(r.out).toContain(`Digest: ${digestOf("library/hello-world")}`);
    expect(r.out).toContain("Status: Downloaded newer image for hello-world:latest");
    expect(r.out).toContain("Hello from Docker!");
    expect(r.out).toContain("The Docker daemon created a new container from that image.");
  });

  it("has unpigz, which dockerd unpacks gzip layers with (faster than Go's gzip here)", async () => {
    const r = await sh("command -v unpigz && echo layer | gzip -c | unpigz -d -c");
    expect(r.exit, r.out).toBe(0);
    expect(r.out).toBe("/usr/bin/unpigz\nlayer\n");
  });

  it("debian: pulled by tag, bash inside", async () => {
    const pull = await sh("docker pull debian:bookworm");
    expect(pull.exit, pull.out).toBe(0);
    expect(pull.out).toContain(`Digest: ${digestOf("library/debian", "bookworm")}`);
    const run = await sh(
      `docker run --rm debian:bookworm bash -c 'echo "bash $BASH_VERSION"; cat /etc/debian_version; id -un'`,
    );
    expect(run.exit, run.out).toBe(0);
    expect(run.out).toMatch(/bash 5\.2/);
    expect(run.out).toMatch(/^12\.\d+/m);
    expect(run.out).toContain("root");
  });

  it("nginx: the shared debian layer 'Already exists'; serves its page on port 80; a second pull is up to date", async () => {
    const pull = await sh("docker pull nginx");
    expect(pull.exit, pull.out).toBe(0);
    expect(pull.out).toContain("Already exists");
    expect(pull.out).toContain("Pull complete");
    expect(pull.out).toContain(`Digest: ${digestOf("library/nginx")}`);
    expect(pull.out).toContain("Status: Downloaded newer image for nginx:latest");
    const again = await sh("docker pull nginx");
    expect(again.out).toContain("Status: Image is up to date for nginx:latest");

    const run = await sh("docker run -d --name web nginx");
    expect(run.exit, run.out).toBe(0);
    const ip = (await sh("docker inspect -f '{{.NetworkSettings.IPAddress}}' web")).out.trim();
    const page = await until(`curl -sf http://${ip}/`);
    expect(page).toContain("<h1>Welcome to nginx!</h1>");
    const logs = await sh("docker logs web");
    expect(logs.out).toMatch(/"GET \/ HTTP\/1\.1" 200/);
    await sh("docker rm -f web");
  });

  it("httpd: serves /usr/local/apache2/htdocs, and docker container cp replaces the site", async () => {
    const run = await sh("docker run -d --name site httpd");
    expect(run.exit, run.out).toBe(0);
    const ip = (await sh("docker inspect -f '{{.NetworkSettings.IPAddress}}' site")).out.trim();
    expect(await until(`curl -sf http://${ip}/`)).toContain("<h1>It works!</h1>");
    const cp = await sh(
      "mkdir -p /tmp/site && cd /tmp/site && echo '<h1>My own page</h1>' > index.html && docker container cp ./ site:/usr/local/apache2/htdocs",
    );
    expect(cp.exit, cp.out).toBe(0);
    expect(await until(`curl -sf http://${ip}/ | grep -q 'My own page'`)).toBe("");
    await sh("docker rm -f site");
  });

  it("busybox and whalesay run", async () => {
    const bb = await sh(
      "docker run --rm busybox sh -c 'echo hi from $(busybox | head -1 | cut -d\" \" -f1-2)'",
    );
    expect(bb.out).toContain("hi from BusyBox v1.35.0");
    const whale = await sh("docker run --rm whalesay cowsay boo");
    expect(whale.exit, whale.out).toBe(0);
    expect(whale.out).toContain("< boo >");
    expect(whale.out).toContain("##         .");
    expect(whale.out).toContain("\\______ o");
  });
});

describe("push, search and not found", { timeout: 900_000 }, () => {
  it("commit + tag + push + rmi + pull brings the same content back", async () => {
    const made = await sh(
      "docker run --name greeter busybox sh -c 'echo hello-from-the-push > /greeting' && docker commit greeter registry.local:5000/greet:v1 && docker rm greeter",
    );
    expect(made.exit, made.out).toBe(0);
    const push = await sh("docker push registry.local:5000/greet:v1");
    expect(push.exit, push.out).toBe(0);
    expect(push.out).toMatch(/v1: digest: sha256:[0-9a-f]{64} size: \d+/);
    expect(requests.some((r) => /^PATCH \/v2\/greet\/blobs\/uploads\/\S+ 202$/.test(r))).toBe(true);
    const pushedDigest = push.out.match(/digest: (sha256:[0-9a-f]{64})/)![1];

    const rmi = await sh("docker rmi registry.local:5000/greet:v1 busybox");
    expect(rmi.exit, rmi.out).toBe(0);
    const pull = await sh("docker pull registry.local:5000/greet:v1");
    expect(pull.exit, pull.out).toBe(0);
    expect(pull.out).toContain(`Digest: ${pushedDigest}`);
    const run = await sh("docker run --rm registry.local:5000/greet:v1 cat /greeting");
    expect(run.out.trim()).toBe("hello-from-the-push");
    const tags = await sh("curl -s http://registry.local:5000/v2/greet/tags/list");
    expect(JSON.parse(tags.out)).toEqual({ name: "greet", tags: ["v1"] });
  });

  it("docker search lists bundled images with descriptions", async () => {
    const r = await sh("docker search nginx");
    expect(r.exit, r.out).toBe(0);
    expect(r.out).toMatch(/^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL/m);
    expect(r.out).toMatch(/^nginx\s+Official build of Nginx/m);
    expect(r.out).toContain("[OK]");
    const qualified = await sh("docker search registry.local:5000/greet");
    expect(qualified.out).toMatch(/greet/);
  });

  it("an image that is not bundled gets dockerd's own not-found error", async () => {
    const r = await sh("docker pull ubuntu:14.04");
    expect(r.exit).not.toBe(0);
    expect(r.out).toMatch(/Error response from daemon: .*(not found|unknown|does not exist)/);
    expect(requests).toContain("HEAD /v2/library/ubuntu/manifests/14.04 404");
  });
});
