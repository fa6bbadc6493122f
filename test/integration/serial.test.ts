// A learner terminal must not go mute when the emulator loses a serial interrupt (v86 shares one
// IRQ line between two UARTs and drops a latched request when the line is lowered). The test
// loses the "transmitter empty" interrupt on purpose, many times, while a command prints.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGuest, type Guest } from "../helpers/guest.ts";

interface UartInternals {
  ints: number;
  irq: number;
  CheckInterrupt(): void;
}

let guest: Guest;

beforeAll(async () => {
  guest = await startGuest();
});

afterAll(async () => {
  await guest?.dispose();
});

it("a terminal whose 'transmitter empty' interrupt was lost prints on", async () => {
  const t = guest.terminal(1);
  await t.run("true"); // a prompt, and the shell's pages in memory
  const cpu = (
    guest.machine.emulator as unknown as {
      v86: { cpu: { device_lower_irq(irq: number): void; devices: { uart1: UartInternals } } };
    }
  ).v86.cpu;
  const uart = cpu.devices.uart1;
  // What v86 does when the other UART on this IRQ goes quiet: the pending request is gone.
  const lose = () => {
    uart.ints &= ~(1 << 2);
    cpu.device_lower_irq(uart.irq);
    uart.CheckInterrupt();
  };
  const losing = setInterval(lose, 7);
  try {
    const r = await t.run("seq 1 3000", 120_000);
    expect(r.exit).toBe(0);
  } finally {
    clearInterval(losing);
  }
  await t.expect(/^3000$/m, 60_000);
  expect(guest.machine.uartKicks).toBeGreaterThan(0);
});
