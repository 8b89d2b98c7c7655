import type { Readable, Writable } from "node:stream";
import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { type Frame, FrameDecoder, FrameType, encodeJsonFrame } from "./frames.js";
import type { PythonSafetyPolicy } from "../safety/options.js";
import { type LandlockRequest, checkReadyLandlock } from "./landlock.js";

/** File descriptor of the sandbox process on which bubblewrap writes its info JSON. */
export const SANDBOX_INFO_FD = 5;

/** File descriptor of the sandbox process from which bubblewrap reads the seccomp filter. */
export const SANDBOX_SECCOMP_FD = 6;

/**
 * File descriptor on which the start gate waits for the server to have
 * placed it in the session's cgroup before it becomes bubblewrap.
 */
const START_GATE_FD = 7;

/**
 * Runs bubblewrap ($0, with its arguments) once a line arrives on the gate
 * fd, and exits when the server closes the gate without one. bubblewrap
 * creates the sandbox's cgroup namespace when it clones the sandbox, so the
 * namespace is rooted at the session's cgroup only if bubblewrap starts
 * there. Placing it after the spawn would race with that clone. The gate
 * costs about 1 ms per start (dash, measured on a 2-core machine), and the
 * exec keeps the pid that was placed.
 */
const START_GATE_SCRIPT = `read -r _ <&${START_GATE_FD} || exit 125; exec "$0" "$@" ${START_GATE_FD}<&-`;

/** Time that kill() waits for the kernel to end the rest of the sandbox. @default 2000 */
const PID_NAMESPACE_EXIT_TIMEOUT_MS = 2_000;

/** Time that kill() gives bubblewrap to exit after its sandbox's init process was killed. @default 1000 */
const BUBBLEWRAP_EXIT_TIMEOUT_MS = 1_000;

/** Bytes of bubblewrap's and the supervisor's stderr kept to explain a failure. */
const MAX_DIAGNOSTIC_BYTES = 16 * 1024;

/** Exit status of a sandbox process. */
export interface SandboxExit {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  /** The last bytes that bubblewrap or the supervisor wrote to stderr. */
  readonly diagnostics: string;
}

/** Everything needed to start one sandbox process. */
export interface SandboxProcessOptions {
  readonly bubblewrapPath: string;
  readonly args: readonly string[];
  /** User and group that bubblewrap runs as; unset keeps the server's. */
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  /** Environment of the session's code, sent to the supervisor at start. */
  readonly sessionEnvironment: Readonly<Record<string, string>>;
  /** Python checks, sent to the supervisor at start; none when unset. */
  readonly pythonSafety?: PythonSafetyPolicy | undefined;
  /**
   * Landlock rules that the supervisor applies to itself before it starts any
   * code, sent with the environment. The sandbox is stopped unless its READY
   * frame reports this ABI. Unset when the kernel has no Landlock.
   */
  readonly landlock?: LandlockRequest | undefined;
  /** Resource limits that the supervisor sets on itself before it starts any code, sent with the environment. */
  readonly rlimits?: Readonly<Record<string, number>> | undefined;
  /**
   * Moves a process of the sandbox into the session's cgroup. When set,
   * bubblewrap starts behind a gate that opens once its pid is placed, so
   * the sandbox and every process in it, and its cgroup namespace, begin in
   * the session's cgroup.
   */
  readonly place?: ((pid: number) => void) | undefined;
  /**
   * Seccomp filter written to SANDBOX_SECCOMP_FD, which bubblewrap reads to
   * its end and closes before it starts the supervisor; unset leaves that
   * fd closed.
   * TODO: execa delivers these bytes through an asynchronous pipe, which
   * adds about 11 ms to each cold start (72 against 60 ms p50, measured on a
   * 2-core machine). A descriptor of a file that contains the filter, passed
   * with child_process.spawn (execa accepts only 3 to 9 as inherited
   * descriptors and treats a file on fd 6 as output), would remove it.
   */
  readonly seccompProgram?: Uint8Array | undefined;
  readonly onFrame: (frame: Frame) => void;
  readonly onExit: (exit: SandboxExit) => void;
}

function spawnBubblewrap(options: SandboxProcessOptions) {
  const gated = options.place !== undefined;
  const [file, args] = gated ? ["/bin/sh", ["-c", START_GATE_SCRIPT, options.bubblewrapPath, ...options.args]] : [options.bubblewrapPath, options.args];
  return execa(file, args, {
    stdio: ["ignore", "ignore", "pipe", "pipe", "pipe", "pipe", options.seccompProgram ?? "ignore", gated ? "pipe" : "ignore"],
    buffer: false,
    reject: false,
    extendEnv: false,
    env: {},
    uid: options.uid,
    gid: options.gid,
    // bubblewrap's --die-with-parent already ends the sandbox with the
    // server. execa's cleanup would install signal handlers that re-raise
    // SIGTERM and SIGINT and cut the server's graceful shutdown short.
    cleanup: false,
  });
}

/**
 * The bubblewrap process of one session and the frame channel to the
 * supervisor inside it: the server writes frames to the sandbox's fd 3 and
 * reads frames from its fd 4. No shell is involved in starting it beyond
 * the start gate, whose script is fixed.
 */
export class SandboxProcess {
  private readonly child: ReturnType<typeof spawnBubblewrap>;
  private readonly control: Writable;
  private info = "";
  /** Host pid of the sandbox's init process, the PID namespace's pid 1. */
  private initPid: number | undefined;
  private diagnostics = "";
  private exitInfo: SandboxExit | undefined;
  private readonly options: SandboxProcessOptions;
  /** Settles once the process has exited and its exit was reported. */
  readonly exited: Promise<SandboxExit>;

  constructor(options: SandboxProcessOptions) {
    this.options = options;
    this.child = spawnBubblewrap(options);
    const placed = this.child.pid === undefined || this.placeAndOpenGate(this.child.pid);

    const stdio = this.child.stdio as unknown as [null, null, Readable, Writable, Readable, Readable];
    this.control = stdio[3];
    stdio[SANDBOX_INFO_FD].on("data", (chunk: Buffer) => this.readInfo(chunk));
    // A write to a sandbox that has just died must not crash the server;
    // the exit is reported through onExit instead.
    this.control.on("error", () => {});
    stdio[2].on("data", (chunk: Buffer) => this.keepDiagnostics(chunk));

    const decoder = new FrameDecoder();
    const events = stdio[4];
    events.on("data", (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        this.keepDiagnostics(Buffer.from(String(error)));
        this.kill();
        return;
      }
      for (const frame of frames) {
        if (frame.type === FrameType.ready && !this.acceptReady(frame)) {
          return;
        }
        options.onFrame(frame);
      }
    });

    this.exited = new Promise((resolve) => {
      void this.child.then((result) => {
        this.exitInfo = {
          exitCode: result.exitCode,
          signal: result.signal,
          diagnostics: this.diagnostics.trim(),
        };
        // Frames already read are delivered before the exit: 'end' follows
        // the last 'data' event of the events stream.
        const report = () => {
          options.onExit(this.exitInfo!);
          resolve(this.exitInfo!);
        };
        if (events.readableEnded || events.destroyed) {
          report();
        } else {
          events.once("close", report);
          events.resume();
        }
      });
    });

    if (placed) {
      this.sendInit();
    }
  }

  private sendInit(): void {
    this.send(encodeJsonFrame(FrameType.init, 0, {
        environment: this.options.sessionEnvironment,
        pythonSafety: this.options.pythonSafety ?? null,
        rlimits: this.options.rlimits ?? {},
        landlock: this.options.landlock ?? null,
      }));
  }

  /** Stops a sandbox whose READY frame does not report the Landlock ABI it was asked to apply. */
  private acceptReady(frame: Frame): boolean {
    const expected = this.options.landlock;
    const problem = expected === undefined ? undefined : checkReadyLandlock(frame.payload, expected.abi);
    if (problem === undefined) {
      return true;
    }
    this.keepDiagnostics(Buffer.from(problem));
    void this.kill();
    return false;
  }

  /**
   * Places the gated process in the session's cgroup, then lets it become
   * bubblewrap. Returns false, having killed it, when the move fails.
   */
  private placeAndOpenGate(pid: number): boolean {
    const place = this.options.place;
    if (place === undefined) {
      return true;
    }
    const gate = (this.child.stdio as unknown as Writable[])[START_GATE_FD]!;
    try {
      place(pid);
    } catch (error) {
      this.keepDiagnostics(Buffer.from(`the sandbox could not be placed in its cgroup: ${(error as Error).message}`));
      gate.destroy();
      this.child.kill("SIGKILL");
      return false;
    }
    gate.on("error", () => {});
    gate.end("\n");
    return true;
  }

  /** Process id of bubblewrap on the host. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Host pid of the sandbox's init process, once bubblewrap has reported it. */
  get hostInitPid(): number | undefined {
    return this.initPid;
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Bytes sent to the supervisor that it has not read yet. */
  get pendingWriteBytes(): number {
    return this.control.writableLength;
  }

  /** Sends one frame to the supervisor; frames to a dead sandbox are dropped. */
  send(frame: Buffer): void {
    if (this.running && this.control.writable) {
      this.control.write(frame);
    }
  }

  /**
   * Kills the sandbox and waits for it to exit. Killing the sandbox's init
   * process ends its PID namespace, so the kernel ends every other process
   * in it, and bubblewrap, which is the init process's parent, reaps it and
   * exits. Killing bubblewrap first would work too (the init process dies
   * with it), but would leave the init process to the host's init to reap.
   */
  async kill(): Promise<SandboxExit> {
    if (this.running && !(await this.killInit())) {
      this.child.kill("SIGKILL");
    }
    const timer = setTimeout(() => this.child.kill("SIGKILL"), BUBBLEWRAP_EXIT_TIMEOUT_MS);
    const exit = await this.exited;
    clearTimeout(timer);
    await this.waitForInitExit();
    return exit;
  }

  /** Sends SIGKILL to the sandbox's init process; false when it is unknown or not bubblewrap's child. */
  private async killInit(): Promise<boolean> {
    if (this.initPid === undefined || this.child.pid === undefined) {
      return false;
    }
    // While bubblewrap runs, its child's pid cannot have been reused, but the
    // parent is checked anyway rather than signal a stranger.
    const status = await readFile(`/proc/${this.initPid}/status`, "utf8").catch(() => "");
    if (!status.includes(`\nPPid:\t${this.child.pid}\n`)) {
      return false;
    }
    try {
      process.kill(this.initPid, "SIGKILL");
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Waits until the sandbox's init process has exited. The kernel lets the
   * init process of a PID namespace finish exiting only after every other
   * process in the namespace has, so then nothing of the sandbox runs.
   */
  private async waitForInitExit(): Promise<void> {
    if (this.initPid === undefined) {
      return;
    }
    const deadline = Date.now() + PID_NAMESPACE_EXIT_TIMEOUT_MS;
    while (Date.now() < deadline && (await isAlive(this.initPid))) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private readInfo(chunk: Buffer): void {
    this.info += chunk.toString("utf8");
    const match = /"child-pid"\s*:\s*(\d+)/.exec(this.info);
    if (match !== null) {
      this.initPid = Number(match[1]);
    }
  }

  private keepDiagnostics(chunk: Buffer): void {
    this.diagnostics = (this.diagnostics + chunk.toString("utf8")).slice(-MAX_DIAGNOSTIC_BYTES);
  }
}

/** Tells whether a process exists and is not a zombie, from /proc/PID/stat. */
async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // The state letter follows the command name, which is in parentheses and
  // may itself contain spaces or parentheses.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "" && state !== "Z" && state !== "X";
}
