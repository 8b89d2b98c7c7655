import { readFileSync, readdirSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";

/** Returns the pids of host processes whose command line is exactly argv. */
export async function findProcesses(argv: readonly string[]): Promise<number[]> {
  const wanted = `${argv.join("\0")}\0`;
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    const cmdline = await readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "");
    if (cmdline === wanted) {
      pids.push(Number(name));
    }
  }
  return pids;
}

/** Polls condition every 50 ms until it is true or timeoutMs has passed. */
export async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition()) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One process of the host, as /proc describes it. */
export interface HostProcess {
  readonly pid: number;
  readonly parentPid: number;
  /** True for a zombie, which has exited and waits only to be reaped. */
  readonly zombie: boolean;
  /** Start time in clock ticks since boot, which distinguishes a reused pid. */
  readonly startTicks: number;
  readonly argv: readonly string[];
}

/** Reads every process of the host. Processes that exit while it reads are skipped. */
export function listHostProcesses(): HostProcess[] {
  const processes: HostProcess[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // The command name in parentheses may contain spaces, so fields are
      // counted from the last ")": state (field 3), ppid (4) and starttime
      // (22), as proc(5) numbers them.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const zombie = fields[0] === "Z" || fields[0] === "X";
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").slice(0, -1);
      processes.push({ pid: Number(name), parentPid: Number(fields[1]), zombie, startTicks: Number(fields[19]), argv });
    } catch {
      continue;
    }
  }
  return processes;
}

/** Returns the process and all of its descendants, or nothing when that process no longer exists. */
export function listProcessTree(root: HostProcess): HostProcess[] {
  const processes = listHostProcesses();
  const current = processes.find((process) => process.pid === root.pid && process.startTicks === root.startTicks);
  if (current === undefined) {
    return [];
  }

  const tree = [current];
  const pids = new Set([current.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const process of processes) {
      if (pids.has(process.parentPid) && !pids.has(process.pid)) {
        tree.push(process);
        pids.add(process.pid);
        grew = true;
      }
    }
  }
  return tree;
}

/**
 * Returns the processes that still exist and are not zombies. Zombies are
 * excluded because bubblewrap's inner process, orphaned when the outer one
 * is killed, stays a zombie until the host's init reaps it.
 */
export function findRunningSurvivors(processes: readonly HostProcess[]): HostProcess[] {
  const running = listHostProcesses().filter((process) => !process.zombie);
  return processes.filter((old) => running.some((process) => process.pid === old.pid && process.startTicks === old.startTicks));
}
