// Which learner terminal lesson code goes to, shared by the terminal tabs and the lesson pane.
// "Run in terminal" types into the terminal the learner used last and brings it forward, even
// when the Layers, Preview or Files tab is showing.
import type { LearnerPort } from "../vm/protocol.ts";

export class TerminalFocus {
  /** The learner terminal selected last. */
  port = $state<LearnerPort>(1);
  /** Bumped when something asks for the terminal to be shown. */
  showRequests = $state(0);

  /** The terminal to type into; asks the tabs to show it. */
  claim(): LearnerPort {
    this.showRequests++;
    return this.port;
  }
}

export const terminalFocus = new TerminalFocus();
