import { fileURLToPath } from "node:url";
import { LineProcess } from "./line-process.js";
import type { BenchVenv } from "./venv.js";

const DRIVER = fileURLToPath(new URL("./drivers/alternative.py", import.meta.url));

/** Names of the alternatives that the Python driver runs. */
export type AlternativeName = "jupyter" | "tinyagent";

/** One alternative, driven by the Python driver in the benchmark's virtual environment. */
export class Alternative {
  private constructor(
    readonly name: AlternativeName,
    private readonly driver: LineProcess,
  ) {}

  /**
   * Starts the driver. tinyagent's sandbox mounts the working directory, so
   * the driver runs in the virtual environment's directory, which is then
   * visible inside the sandbox with the packages that its wrapper imports.
   */
  static async start(name: AlternativeName, venv: BenchVenv): Promise<Alternative> {
    const { process: driver } = await LineProcess.start(venv.python, ["-u", DRIVER, name], { cwd: venv.dir });
    return new Alternative(name, driver);
  }

  /** Opens a session (a kernel, or a provider); returns the kernel's pid when there is one. */
  async open(): Promise<{ pid?: number }> {
    return this.driver.request({ op: "open" });
  }

  async close(): Promise<void> {
    await this.driver.request({ op: "close" });
  }

  /** Runs code count times in the open session; returns each call's latency. */
  async run(code: string, count: number): Promise<number[]> {
    return (await this.driver.request<{ ms: number[] }>({ op: "run", code, count })).ms;
  }

  /** Starts a new session, runs `1` and closes it, count times; returns each start's latency. */
  async start(count: number): Promise<number[]> {
    return (await this.driver.request<{ ms: number[] }>({ op: "start", count })).ms;
  }

  /** Returns the latency to the first output chunk of print("a"), count times. */
  async firstChunk(count: number): Promise<number[]> {
    return (await this.driver.request<{ ms: number[] }>({ op: "first_chunk", count })).ms;
  }

  /** Writes megabytes of stdout in the open session and returns MB/s as received. */
  async throughput(megabytes: number): Promise<number> {
    const reply = await this.driver.request<{ ms: number; bytes: number }>({ op: "throughput", megabytes });
    if (reply.bytes < megabytes * 1024 * 1024) {
      throw new Error(`${this.name} delivered ${reply.bytes} of ${megabytes * 1024 * 1024} bytes`);
    }
    return reply.bytes / 1e6 / (reply.ms / 1000);
  }

  async stop(): Promise<void> {
    await this.driver.stop();
  }
}
