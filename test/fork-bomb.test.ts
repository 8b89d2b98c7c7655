import { ExecutionStatus, Resource } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";
import { findProcessCgroupDir, limitSupport, readCgroupProcs } from "./support/limits.js";
import { waitUntil } from "./support/processes.js";

/** Processes of an idle sandbox: bubblewrap, its init process, the supervisor and the interpreter. */
const IDLE_PROCESSES = 4;
const MAX_PROCESSES = 48;

const BOMBS = [
  { name: "shell fork bomb", run: "shell", code: ["bash", "-c", ":(){ :|:& };:"] },
  { name: "Python fork bomb", run: "python", code: "import os\nwhile True:\n    os.fork()" },
] as const;

describe("fork bomb", () => {
  test.skipIf(!limitSupport.pidsCgroup).for(BOMBS)("$name is contained and reaped", async (bomb, { client, server }) => {
    const session = await client.createSession({ limits: { maxProcesses: MAX_PROCESSES } });
    const neighbour = await client.createSession();
    const cgroupDir = (await findProcessCgroupDir(server.registry.get(session.id)!.sandboxPid!, "pids"))!;
    // Without its limit the bomb would run on the host unchecked, so these
    // preconditions end the test before it starts.
    expect(session.info.limits?.maxProcesses).toBe(MAX_PROCESSES);
    expect(cgroupDir).toContain(session.id);
    let peak = 0;
    const sampler = setInterval(() => {
      void readCgroupProcs(cgroupDir).then((pids) => {
        peak = Math.max(peak, pids.length);
      });
    }, 5);

    const [outcome, answer] = await Promise.all([
      bomb.run === "shell" ? session.runShell([...bomb.code]) : session.runPython(bomb.code),
      neighbour.runPython("sum(range(10))"),
    ]);
    clearInterval(sampler);
    const after = await session.runPython("print('alive')");
    // The killed processes leave the cgroup's list and its pids count at
    // slightly different moments, so both must have settled.
    await waitUntil(async () => (await readCgroupProcs(cgroupDir)).length === IDLE_PROCESSES && (await session.refresh()).resourceUsage?.processes === IDLE_PROCESSES, 5_000);
    const left = await readCgroupProcs(cgroupDir);
    const info = await session.refresh();

    expect(outcome.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
    expect(outcome.result.limitExceeded).toBe(Resource.PROCESSES);
    expect(outcome.result.message).toContain(`too many processes: the session reached its limit of ${MAX_PROCESSES} processes and threads`);
    expect(outcome.result.interpreterRestarted).toBe(true);
    expect(peak).toBeLessThanOrEqual(MAX_PROCESSES);
    expect(answer.value).toBe("45");
    expect(left).toHaveLength(IDLE_PROCESSES);
    expect(after.stdout).toBe("alive\n");
    expect(info.resourceUsage?.processes).toBe(IDLE_PROCESSES);
    await session.close();
    await neighbour.close();
  });
});
