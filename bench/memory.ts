import { readFile, readdir } from "node:fs/promises";

/** Returns the proportional set size (PSS) of one process in bytes, or 0 when it is gone. */
export async function readPssBytes(pid: number): Promise<number> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
  const match = /^Pss:\s+(\d+) kB/m.exec(rollup);
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** Returns the resident set size of one process in bytes, or 0 when it is gone. */
export async function readRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** Returns a map from each running process to its children, read from /proc. */
export async function readProcessTree(): Promise<Map<number, number[]>> {
  const children = new Map<number, number[]>();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (Number.isInteger(parent)) {
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    }
  }
  return children;
}

/** Returns the summed PSS of a process and all its descendants, in bytes. */
export async function readTreePssBytes(root: number, tree: Map<number, number[]>): Promise<number> {
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    total += await readPssBytes(pid);
    pending.push(...(tree.get(pid) ?? []));
  }
  return total;
}
