import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

/**
 * A child process that reads one JSON request per stdin line and replies
 * to each with one JSON line on stdout, in order. Its first line is a greeting
 * that start() returns.
 */
export class LineProcess {
  private readonly waiting: Array<(line: string) => void> = [];
  private readonly lines: string[] = [];
  private exitMessage: string | undefined;

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const resolve = this.waiting.shift();
      if (resolve === undefined) {
        this.lines.push(line);
      } else {
        resolve(line);
      }
    });
    child.on("exit", (code, signal) => {
      this.exitMessage = `${child.spawnfile} exited with ${code ?? signal}`;
      for (const resolve of this.waiting.splice(0)) {
        resolve(JSON.stringify({ error: this.exitMessage }));
      }
    });
  }

  /** Starts the program and waits for its greeting. */
  static async start(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ process: LineProcess; greeting: Record<string, unknown> }> {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["pipe", "pipe", "inherit"] });
    const lineProcess = new LineProcess(child);
    const greeting = JSON.parse(await lineProcess.nextLine()) as Record<string, unknown>;
    if (typeof greeting.error === "string") {
      throw new Error(greeting.error);
    }
    return { process: lineProcess, greeting };
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends a request and returns the reply; throws when the reply is an error. */
  async request<Reply>(request: object): Promise<Reply> {
    this.child.stdin!.write(`${JSON.stringify(request)}\n`);
    const reply = JSON.parse(await this.nextLine()) as Reply & { error?: string };
    if (typeof reply.error === "string") {
      throw new Error(reply.error);
    }
    return reply;
  }

  /** Closes stdin and waits for the program to exit. */
  async stop(): Promise<void> {
    if (this.exitMessage !== undefined) {
      return;
    }
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin!.end();
    await exited;
  }

  private nextLine(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) {
      return Promise.resolve(line);
    }
    if (this.exitMessage !== undefined) {
      return Promise.resolve(JSON.stringify({ error: this.exitMessage }));
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}
