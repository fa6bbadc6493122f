// `editor_sync_ms`: an editor save until the guest's shell sees the file (median of 10 saves of
// a small Dockerfile through the same GuestFiles path the Files tab uses).
import type { Machine } from "../vm/machine.ts";
import { GuestFiles, WORKSPACE, agentWriteFile } from "./guest-files.ts";

export async function benchEditorSync({ machine }: { machine: Machine }) {
  const files = new GuestFiles(
    (argv, opts) => machine.exec(argv, opts),
    WORKSPACE,
    agentWriteFile((r) => machine.agent(r)),
  );
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const text = `FROM httpd\n# save ${i}\n${"COPY . /usr/local/apache2/htdocs/\n".repeat(40)}`;
    const t0 = performance.now();
    await files.write("bench/Dockerfile", text);
    times.push(performance.now() - t0);
    // Not part of the figure: proof the guest sees this save, not an earlier one.
    const seen = await machine.exec([
      "grep",
      "-c",
      `# save ${i}$`,
      "/root/workspace/bench/Dockerfile",
    ]);
    if (seen.exit !== 0) throw new Error(`save ${i} is not visible in the guest`);
  }
  await files.remove("bench");
  times.sort((a, b) => a - b);
  return { editor_sync_ms: Math.round(times[Math.floor(times.length / 2)]!) };
}
