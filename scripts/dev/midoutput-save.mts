// Dev: does a state saved while a learner terminal is printing come back with a working terminal?
import { restoredMachine } from "../../src/vm/node.ts";
import { Terminal, startGuest } from "../../test/helpers/guest.ts";

const guest = await startGuest();
const t = guest.terminal(1);
await t.run("true");
t.clear();
t.type("for i in $(seq 1 3000); do echo line-$i; done\n");
await t.expect(/line-200\n/);
const state = await guest.machine.save();
console.log("saved mid-output at", t.text.length, "chars");
await guest.machine.dispose();
const machine = restoredMachine({ initialState: state });
const r = new Terminal(machine, 1);
await machine.start();
const res = await r.run("echo after-restore-$((6*7))", 60_000).catch((e: Error) => e);
console.log(
  res instanceof Error ? `FAILED: ${res.message.slice(0, 600)}` : `ok: ${res.output.slice(-200)}`,
);
await machine.dispose();
process.exit(0);
