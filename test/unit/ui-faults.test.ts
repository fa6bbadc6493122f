// Fault notices, driven through the client with recorded machine events (the watchdog's real
// faults: test/integration/faults.test.ts).
import { describe, expect, it } from "vitest";
import { en, format, ko } from "../../src/i18n/strings.ts";
import { FaultNotices } from "../../src/ui/faults.svelte.ts";
import { MachineClient, type WorkerLink } from "../../src/vm/client.svelte.ts";
import type { MachineFault } from "../../src/vm/protocol.ts";

const noWorker = (): WorkerLink => {
  throw new Error("not connected in this test");
};

function setup() {
  const client = new MachineClient(noWorker);
  const notices = new FaultNotices(client);
  const fault = (f: Omit<MachineFault, "message">) =>
    client.handle({ type: "fault", fault: { message: "m", ...f } });
  return { client, notices, fault };
}

describe("FaultNotices", () => {
  it("keeps a fatal fault, with its words in both languages, until the machine restores", () => {
    const { client, notices, fault } = setup();
    fault({ kind: "kernel-panic", severity: "fatal" });
    expect(notices.fatal?.message).toBe("faultKernelPanic");
    expect(en[notices.fatal!.message]).toMatch(/kernel/);
    expect(ko[notices.fatal!.message]).toMatch(/커널/);
    client.handle({ type: "progress", progress: { phase: "restoring" } });
    expect(notices.notices).toEqual([]);
    notices.dispose();
  });

  it("replaces a report of the same thing, and drops it once cleared", () => {
    const { notices, fault } = setup();
    fault({ kind: "dockerd-stopped", severity: "recovering" });
    fault({ kind: "dockerd-stopped", severity: "fixed" });
    expect(notices.notices.map((n) => n.message)).toEqual(["faultDockerdFixed"]);
    fault({ kind: "disk-full", severity: "warning", disk: "docker" });
    fault({ kind: "disk-full", severity: "warning", disk: "root" });
    fault({ kind: "disk-full", severity: "cleared", disk: "docker" });
    expect(notices.notices.map((n) => n.message)).toEqual(["faultDockerdFixed", "faultDiskRoot"]);
    notices.dispose();
  });

  it("names the terminal or container a fork bomb came from", () => {
    const { notices, fault } = setup();
    fault({ kind: "too-many-processes", severity: "fixed", port: 2 });
    fault({ kind: "too-many-processes", severity: "fixed", container: "bomb" });
    expect(notices.notices.map((n) => [n.message, n.params])).toEqual([
      ["faultPidsTerminal", { n: 2 }],
      ["faultPidsContainer", { name: "bomb" }],
    ]);
    notices.dispose();
  });

  it("says when this browser's machine was damaged or the last session could not come back", () => {
    const { notices, fault } = setup();
    fault({ kind: "damaged-cache", severity: "fixed" });
    fault({ kind: "resume-failed", severity: "fixed" });
    expect(notices.notices.map((n) => [n.message, n.fatal])).toEqual([
      ["faultDamagedCache", false],
      ["faultResumeFailed", false],
    ]);
    expect(en.faultDamagedCache).toMatch(/damaged[\s\S]*progress and files are kept/);
    expect(ko.faultResumeFailed).toMatch(/복원하지 못해/);
    notices.dispose();
  });

  it("says what an image that is not here could be instead, in both languages", () => {
    const { notices, fault } = setup();
    const names = ["busybox", "debian", "nginx"];
    fault({
      kind: "missing-image",
      severity: "warning",
      image: { name: "ubuntu", reference: "14.04", closest: "debian", names },
    });
    const [notice] = notices.notices;
    expect(notice?.message).toBe("faultImageClosest");
    expect(format(en[notice!.message], notice!.params)).toBe(
      "“ubuntu:14.04” is not available here. The sandbox runs without the internet, from a registry inside this page that holds only these images: busybox, debian, nginx. The emulated PC is 32-bit x86, so only 32-bit (i386) images could run here anyway. The closest one here is debian: try `docker run -it debian`.",
    );
    expect(format(ko[notice!.message], notice!.params)).toMatch(/가장 가까운 이미지는 debian/);
    // The next one replaces it; a missing tag names the tags there are.
    fault({
      kind: "missing-image",
      severity: "warning",
      image: { name: "nginx", reference: "1.25", knownTags: ["1.22", "latest"], names },
    });
    expect(notices.notices.map((n) => [n.message, n.params.tags])).toEqual([
      ["faultImageTag", "nginx:1.22, nginx:latest"],
    ]);
    // Asked by digest: written name@digest.
    fault({
      kind: "missing-image",
      severity: "warning",
      image: { name: "ubuntu", reference: "sha256:abc", names },
    });
    expect(notices.notices[0]?.params.ref).toBe("ubuntu@sha256:abc");
    notices.dispose();
  });
});
