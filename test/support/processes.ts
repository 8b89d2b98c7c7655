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
