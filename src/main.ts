import { mount } from "svelte";
import "@xterm/xterm/css/xterm.css";
import "./ui/app.css";
import App from "./ui/App.svelte";
import Unsupported from "./ui/Unsupported.svelte";
import { I18n } from "./i18n/i18n.svelte.ts";
import { probeSupport, supported } from "./ui/support.ts";
import { MachineClient } from "./vm/client.svelte.ts";

const target = document.getElementById("app")!;
const i18n = new I18n();
const support = await probeSupport();

if (!supported(support)) {
  target.replaceChildren();
  mount(Unsupported, { target, props: { i18n, support } });
} else {
  target.replaceChildren();
  const machine = new MachineClient();
  // Exposed for the end-to-end test and the benchmark, which read phase and timings.
  (globalThis as { sandbox?: unknown }).sandbox = { machine };
  mount(App, { target, props: { i18n, machine } });
  void machine.start();
  // Hidden (tab switched, window closing): keep what the learner did for the next visit.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") machine.saveForResume();
  });
  addEventListener("pagehide", () => machine.dispose());
}
