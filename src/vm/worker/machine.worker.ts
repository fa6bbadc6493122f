// The module Web Worker that owns the emulator. Everything runs here so the page stays responsive
// while v86 emulates; the UI talks to it only through the comlink API in ../protocol.ts.
import * as Comlink from "comlink";
import { MachineHost } from "./host.ts";

Comlink.expose(new MachineHost());
