import type { Execution } from "./execution.js";

/**
 * A session's executions in order: the one running and those waiting
 * behind it. Executions run one at a time, in the order they were
 * submitted; the session decides when the next one may start.
 */
export class ExecutionQueue {
  /** The execution that the sandbox runs now. */
  running: Execution | undefined;
  private readonly waiting: Execution[] = [];

  /** Executions waiting behind the running one. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** True while an execution runs or waits. */
  get busy(): boolean {
    return this.running !== undefined || this.waiting.length > 0;
  }

  /** Executions that a new one would wait behind: the waiting ones and the running one. */
  get size(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  /** Adds an execution at the end. */
  push(execution: Execution): void {
    this.waiting.push(execution);
  }

  /** Takes a waiting execution out of the queue, as when it is stopped before it started. */
  remove(execution: Execution): void {
    this.waiting.splice(this.waiting.indexOf(execution), 1);
  }

  /** Makes the first waiting execution the running one; undefined while one runs or none waits. */
  startNext(): Execution | undefined {
    if (this.running !== undefined) {
      return undefined;
    }
    const execution = this.waiting.shift();
    if (execution !== undefined) {
      this.running = execution;
      execution.phase = "running";
    }
    return execution;
  }

  /** Returns the running execution when its number is executionNumber, for frames that name it. */
  findRunning(executionNumber: number): Execution | undefined {
    return this.running?.number === executionNumber ? this.running : undefined;
  }

  /** Returns a copy of the waiting executions, which the caller may stop one by one. */
  listWaiting(): Execution[] {
    return [...this.waiting];
  }

  /** Empties the waiting list and returns what it held. */
  takeWaiting(): Execution[] {
    return this.waiting.splice(0);
  }
}
