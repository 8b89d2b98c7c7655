import { type CreateSessionOptions, type ExecutionOutcome, ExecutionStatus, Resource, type SeatbeltSession } from "../../client/src/index.js";
import { expect } from "../support/fixtures.js";
import { findProcessCgroupDir, limitSupport } from "../support/limits.js";
import { type AttackContext, attack, defineAttacks } from "./support/attacks.js";

const MiB = 1024n * 1024n;
const MAX_PROCESSES = 48;
const OUTPUT_CAP_BYTES = MiB;

/** Round trips of the neighbour session while an attack ran. */
interface NeighbourRecord {
  rounds: number;
  worstMs: number;
  /** Results that were not the counter's next value, with the value received instead. */
  readonly wrong: string[];
}

/** A session under attack, and a neighbour session that keeps running round trips while the attack runs. */
interface Bystander {
  readonly target: SeatbeltSession;
  readonly neighbour: SeatbeltSession;
  readonly record: NeighbourRecord;
  outcome?: ExecutionOutcome;
}

/**
 * Runs `x += 1` round trips on the neighbour until done resolves, at least
 * once after the attack started, checking each result and recording the worst latency.
 */
async function keepAnswering(neighbour: SeatbeltSession, record: NeighbourRecord, done: Promise<unknown>): Promise<void> {
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  await neighbour.runPython("x = 0");
  while (!finished || record.rounds === 0) {
    const started = performance.now();
    const answer = await neighbour.runPython("x += 1\nx");
    record.worstMs = Math.max(record.worstMs, performance.now() - started);
    record.rounds++;
    if (answer.value !== String(record.rounds)) {
      record.wrong.push(`${answer.value ?? answer.stderr}`);
    }
  }
}

/** Creates the session to attack, with its limits, and a neighbour with default settings. */
function createBystanders(options: CreateSessionOptions): (context: AttackContext) => Promise<Bystander> {
  return async ({ client }) => {
    const target = await client.createSession(options);
    const neighbour = await client.createSession();
    return { target, neighbour, record: { rounds: 0, worstMs: 0, wrong: [] } };
  };
}

/** Runs the attack in the target session while the neighbour keeps running round trips, and returns the observed text. */
async function runBeside(bystander: Bystander, run: (session: SeatbeltSession) => Promise<ExecutionOutcome>, describe: (outcome: ExecutionOutcome) => string): Promise<string> {
  const attackDone = run(bystander.target);
  await keepAnswering(bystander.neighbour, bystander.record, attackDone);
  bystander.outcome = await attackDone;
  const { rounds, worstMs } = bystander.record;
  return `${describe(bystander.outcome)}; other session answered ${rounds} ${rounds === 1 ? "time" : "times"}, worst ${Math.round(worstMs)} ms`;
}

/** Checks that the neighbour's counter never skipped and that the target session still runs code. */
async function verifyBystanders(bystander: Bystander): Promise<void> {
  expect(bystander.record.wrong).toEqual([]);
  expect(bystander.record.rounds).toBeGreaterThan(0);
  expect((await bystander.target.runPython("print('alive')")).stdout).toBe("alive\n");
}

async function closeBystanders(bystander: Bystander): Promise<void> {
  await Promise.all([bystander.target.close(), bystander.neighbour.close()]);
}

/** Returns the first clause of the result's message, such as "disk full: the workspace reached its size limit of 8 MiB". */
function describeLimit(outcome: ExecutionOutcome): string {
  return outcome.result.message === "" ? ExecutionStatus[outcome.status]! : outcome.result.message.split(", so ")[0]!;
}

const resourceAttacks = [
  attack<Bystander>({
    name: "fork bomb",
    expected: `stopped at ${MAX_PROCESSES} processes, other session answers`,
    skipReason: limitSupport.pidsCgroup ? undefined : "no pids cgroup on this machine: a fork bomb would reach the host",
    plant: async (context) => {
      const bystander = await createBystanders({ limits: { maxProcesses: MAX_PROCESSES } })(context);
      const cgroupDir = await findProcessCgroupDir(context.server.registry.get(bystander.target.id)!.sandboxPid!, "pids");
      // Without its limit the bomb would run on the host unchecked, so the
      // attack never starts unless the session's limit and cgroup are in place.
      if (bystander.target.info.limits?.maxProcesses !== MAX_PROCESSES || cgroupDir?.includes(bystander.target.id) !== true) {
        await closeBystanders(bystander);
        throw new Error(`the fork bomb's session has no pids limit in place: limit ${bystander.target.info.limits?.maxProcesses}, cgroup ${cgroupDir}`);
      }
      return bystander;
    },
    run: (_, bystander) => runBeside(bystander, (session) => session.runShell(["bash", "-c", ":(){ :|:& };:"]), describeLimit),
    verify: async (_, bystander) => {
      expect(bystander.outcome?.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
      expect(bystander.outcome?.result.limitExceeded).toBe(Resource.PROCESSES);
      await verifyBystanders(bystander);
    },
    remove: closeBystanders,
  }),
  attack<Bystander>({
    name: "memory bomb",
    expected: "killed by the memory limit, other session answers",
    skipReason: limitSupport.memoryCgroup ? undefined : "no memory cgroup on this machine",
    plant: createBystanders({ limits: { memoryBytes: 128n * MiB } }),
    run: (_, bystander) => runBeside(bystander, (session) => session.runPython("data = b'x' * (400 << 20)"), describeLimit),
    verify: async (_, bystander) => {
      expect(bystander.outcome?.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
      expect(bystander.outcome?.result.limitExceeded).toBe(Resource.MEMORY);
      await verifyBystanders(bystander);
    },
    remove: closeBystanders,
  }),
  attack<Bystander>({
    name: "fill the disk",
    expected: "ENOSPC at the workspace limit, other session answers",
    skipReason: limitSupport.workspaceTmpfs ? undefined : "workspaces have no size limit unless the server runs as root",
    plant: createBystanders({ limits: { diskBytes: 8n * MiB, memoryBytes: 256n * MiB } }),
    run: (_, bystander) => runBeside(bystander, (session) => session.runShell("dd if=/dev/zero of=big bs=1M count=64"), describeLimit),
    verify: async (_, bystander) => {
      expect(bystander.outcome?.result.limitExceeded).toBe(Resource.DISK);
      expect(bystander.outcome?.stderr).toContain("No space left on device");
      await verifyBystanders(bystander);
    },
    remove: closeBystanders,
  }),
  attack<Bystander>({
    name: "flood of output on stdout and stderr",
    expected: `output capped at ${OUTPUT_CAP_BYTES} bytes, other session answers`,
    plant: createBystanders({ limits: { outputBytes: OUTPUT_CAP_BYTES } }),
    run: (_, bystander) =>
      runBeside(
        bystander,
        (session) => session.runShell("(yes | head -c 200000000) & (yes | head -c 100000000 >&2); wait"),
        (outcome) => `${outcome.result.outputDroppedBytes} bytes dropped, ${outcome.stdoutBytes.length + outcome.stderrBytes.length} kept`,
      ),
    verify: async (_, bystander) => {
      expect(bystander.outcome?.status).toBe(ExecutionStatus.OK);
      expect(bystander.outcome?.result.outputDroppedBytes).toBe(300_000_000n - OUTPUT_CAP_BYTES);
      expect(bystander.outcome!.stdoutBytes.length + bystander.outcome!.stderrBytes.length).toBe(Number(OUTPUT_CAP_BYTES));
      await verifyBystanders(bystander);
    },
    remove: closeBystanders,
  }),
];

defineAttacks("resource exhaustion beside another session", resourceAttacks);
