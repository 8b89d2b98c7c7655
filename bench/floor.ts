import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { elapsedMs } from "./stats.js";

const PIPE_CHILD = fileURLToPath(new URL("./drivers/pipe_child.py", import.meta.url));

/** A plain Python child over a pipe: no sandbox, no RPC, no output capture. */
export class PipeChild {
  private readonly child;
  private pending = Buffer.alloc(0);
  private waiting: ((reply: string) => void) | undefined;

  constructor(python: string) {
    this.child = spawn(python, ["-u", PIPE_CHILD], { stdio: ["pipe", "pipe", "inherit"] });
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      if (this.pending.length >= 4 && this.pending.length >= 4 + this.pending.readUInt32BE(0)) {
        const length = this.pending.readUInt32BE(0);
        const reply = this.pending.toString("utf8", 4, 4 + length);
        this.pending = this.pending.subarray(4 + length);
        this.waiting?.(reply);
      }
    });
  }

  /** Runs code and returns the repr of its value, or "" for a statement. */
  run(code: string): Promise<string> {
    const body = Buffer.from(code);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    const reply = new Promise<string>((resolve) => {
      this.waiting = resolve;
    });
    this.child.stdin.write(Buffer.concat([header, body]));
    return reply;
  }

  get pid(): number {
    return this.child.pid!;
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** Times the start of a pipe child and the result of `1` from it. */
export async function timePipeChildStart(python: string): Promise<number> {
  const start = process.hrtime.bigint();
  const child = new PipeChild(python);
  await child.run("1");
  const elapsed = elapsedMs(start);
  child.close();
  return elapsed;
}

/** Times `bwrap ... python3 -c pass`: a sandboxed interpreter that starts and exits. */
export async function timeBubblewrapStart(bubblewrap: string, python: string): Promise<number> {
  const args = ["--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin", "--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--", python, "-c", "pass"];
  const start = process.hrtime.bigint();
  await execa(bubblewrap, args);
  return elapsedMs(start);
}

/**
 * Measures how fast Python writes megabytes of output into a pipe that
 * `cat > /dev/null` drains, timed by the writer itself, in MB/s.
 */
export async function measurePipeThroughput(python: string, megabytes: number): Promise<number> {
  const code = `import sys, time\nblock = 'x' * (1 << 20)\nstart = time.perf_counter()\nfor _ in range(${megabytes}):\n    sys.stdout.write(block)\nsys.stdout.flush()\nsys.stderr.write(str(time.perf_counter() - start))`;
  const result = await execa("sh", ["-c", `"$0" -c "$1" | cat > /dev/null`, python, code]);
  return (megabytes * 1024 * 1024) / 1e6 / Number(result.stderr);
}
