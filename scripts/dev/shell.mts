// Dev helper: boot (or restore with --restore) and run commands in learner terminal 1, printing output.
import { bootingMachine, restoredMachine } from "../../src/vm/node.ts";
const restore = process.argv.includes("--restore");
const cmds = process.argv.slice(2).filter((a) => a !== "--restore");
const t0 = Date.now();
const ts = () => ((Date.now() - t0) / 1000).toFixed(1);
const m = restore ? restoredMachine() : bootingMachine();
let out = "";
m.on((e) => {
  if (e.type === "output" && e.port === 1) {
    const s = new TextDecoder().decode(e.data);
    out += s;
    process.stdout.write(s);
  } else if (e.type === "console") console.log(`[${ts()}] console: ${e.text}`);
  else if (e.type === "agent")
    console.log(`[${ts()}] agent ${JSON.stringify(e.event).slice(0, 300)}`);
});
await m.start({ agentOnly: !restore });
// After a restore the prompt was printed before the save: ask for a fresh one.
if (restore) m.write(1, "\n");
const until = async (re: RegExp, ms: number) => {
  const end = Date.now() + ms;
  while (!re.test(out)) {
    if (Date.now() > end) throw new Error("timeout " + re);
    await new Promise((r) => setTimeout(r, 100));
  }
};
await until(/# $/, 120000);
for (const c of cmds) {
  out = "";
  console.log(`\n[${ts()}] >>> ${c}`);
  m.write(1, c + "; echo __END__\n");
  await until(/__END__\r?\n[^]*# $/, 300000);
}
await m.dispose();
process.exit(0);
