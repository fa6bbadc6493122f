// The preview's path into the real guest: HTTP over TCP through v86's network to a port a
// container publishes (Docker's DNAT on eth0), as the page's worker does it.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Machine } from "../../src/vm/machine.ts";
import { attachBundledRegistry, restoredMachine } from "../../src/vm/node.ts";
import { guestHttp } from "../../src/vm/preview/guest.ts";
import { tcpHttpProbe } from "../../src/vm/preview/probe.ts";
import type { GuestHttpRequest, GuestHttpResponse } from "../../src/vm/protocol.ts";

let machine: Machine;
const dec = new TextDecoder();

async function sh(cmd: string, timeoutMs = 400_000): Promise<{ exit: number; out: string }> {
  const r = await machine.exec(["sh", "-c", `${cmd} 2>&1`], { timeoutMs });
  return { exit: r.exit, out: r.stdout + r.stderr };
}

const get = (port: number, path = "/", extra: Partial<GuestHttpRequest> = {}) =>
  guestHttp(machine.emulator as never, port, { method: "GET", path, ...extra });

/**
 * A server answers a while after `docker run -d` returns (Apache takes seconds in the emulator):
 * ask until it does, each try a real request, failing with the last answer after `withinMs`.
 */
async function firstAnswer(port: number, withinMs = 120_000): Promise<GuestHttpResponse> {
  const start = performance.now();
  let last: GuestHttpResponse | undefined;
  let tries = 0;
  while (performance.now() - start < withinMs) {
    tries++;
    last = await get(port);
    if (last.ok) {
      console.log(
        `port ${port} answered after ${Math.round(performance.now() - start)} ms (${tries} tries)`,
      );
      return last;
    }
  }
  throw new Error(`port ${port} never answered within ${withinMs} ms: ${JSON.stringify(last)}`);
}

beforeAll(async () => {
  machine = restoredMachine();
  attachBundledRegistry(machine);
  await machine.start();
});

afterAll(async () => {
  await machine?.dispose();
});

describe("HTTP into a published port", { timeout: 900_000 }, () => {
  it("nothing published yet: refused, quickly and clearly", async () => {
    const r = await get(8080);
    expect(r).toEqual({
      ok: false,
      reason: "refused",
      message: "nothing listens on localhost:8080",
    });
  });

  it("docker run -d -p 8080:80 nginx: GET / is nginx's welcome page", async () => {
    const run = await sh("docker run -d --name web -p 8080:80 nginx");
    expect(run.exit, run.out).toBe(0);
    const r = await firstAnswer(8080);
    expect(r.ok && r.status).toBe(200);
    if (!r.ok) return;
    expect(r.headers.find(([n]) => n.toLowerCase() === "server")?.[1]).toMatch(/^nginx/);
    expect(dec.decode(r.body)).toContain("<title>Welcome to nginx!</title>");
    const length = r.headers.find(([n]) => n.toLowerCase() === "content-length")?.[1];
    expect(r.body.length).toBe(Number(length));
  });

  it("404, HEAD and a 200 KB binary file byte for byte", async () => {
    const missing = await get(8080, "/no-such-page");
    expect(missing.ok && missing.status).toBe(404);
    const head = await get(8080, "/", { method: "HEAD" });
    expect(head.ok && head.status).toBe(200);
    expect(head.ok && head.body.length).toBe(0);

    const made = await sh(
      "docker exec web sh -c 'head -c 204800 /dev/urandom > /usr/share/nginx/html/blob.bin && sha256sum /usr/share/nginx/html/blob.bin'",
    );
    expect(made.exit, made.out).toBe(0);
    // Timings for the report (the benchmark, src/vm/preview/bench.ts, is the real measure).
    let first = 0;
    const t0 = performance.now();
    await guestHttp(
      machine.emulator as never,
      8080,
      { method: "GET", path: "/" },
      {
        onFirstByte: () => (first = performance.now()),
      },
    );
    const t1 = performance.now();
    const blob = await get(8080, "/blob.bin");
    console.log(
      `GET / first byte ${Math.round(first - t0)} ms; 200 KB in ${Math.round(performance.now() - t1)} ms`,
    );
    expect(blob.ok).toBe(true);
    if (!blob.ok) return;
    expect(blob.body.length).toBe(204800);
    expect(made.out).toContain(createHash("sha256").update(blob.body).digest("hex"));
  });

  it("after docker stop: refused, with a message that says nothing listens", async () => {
    const stop = await sh("docker stop web");
    expect(stop.exit, stop.out).toBe(0);
    const r = await get(8080);
    expect(r).toMatchObject({ ok: false, reason: "refused" });
    expect(!r.ok && r.message).toBe("nothing listens on localhost:8080");
  });

  it("httpd's default page on 818 (the lessons' flow), as a lesson check asks it", async () => {
    const run = await sh("docker run -d --name site -p 818:80 httpd");
    expect(run.exit, run.out).toBe(0);
    const page = await firstAnswer(818);
    expect(page.ok && dec.decode(page.body)).toContain("It works!");
    const probe = tcpHttpProbe((port, request) =>
      guestHttp(machine.emulator as never, port, request),
    );
    const answer = await probe(818, "/");
    expect(answer).toMatchObject({ ok: true, status: 200 });
    expect(answer.ok && answer.body).toContain("It works!");
    expect(await probe(8080, "/")).toMatchObject({ ok: false, reason: "refused" });
  });
});
