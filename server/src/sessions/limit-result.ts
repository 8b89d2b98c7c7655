import { type ExecutionResult, ExecutionStatus, Resource } from "../gen/seatbelt/v1/execution_pb.js";
import type { LimitCounters } from "../sandbox/limits/cgroup-files.js";
import { findExceededLimit, formatBytes } from "../sandbox/limits/limit-outcome.js";
import type { SessionConfinement } from "../sandbox/limits/session-confinement.js";
import type { SessionLimits } from "../sandbox/limits/session-limits.js";

/** Resource counters and state of an execution when its result arrives. */
export interface LimitContext {
  readonly limits: SessionLimits;
  readonly kind: "python" | "shell";
  readonly before: LimitCounters | undefined;
  readonly after: LimitCounters | undefined;
  readonly fullDisk: string | undefined;
  /** True when every process of the session was killed during the execution, the interpreter included. */
  readonly killedAll: boolean;
}

/**
 * Turns a result into LIMIT_EXCEEDED, naming the limit, when a resource
 * limit stopped the execution. The exit code, signal and error stay as they
 * were, so the caller still sees what the process itself reported.
 */
export function applyExceededLimit(result: ExecutionResult, context: LimitContext): void {
  const restarted = result.interpreterRestarted || context.killedAll;
  const limit = findExceededLimit({
    limits: context.limits,
    kind: context.kind,
    status: result.status,
    exitCode: result.exitCode,
    signal: result.signal,
    errorName: result.error?.name,
    errorValue: result.error?.value,
    interpreterRestarted: restarted,
    before: context.before,
    after: context.after,
    fullDisk: context.fullDisk,
  });
  if (limit === undefined) {
    return;
  }
  result.status = ExecutionStatus.LIMIT_EXCEEDED;
  result.limitExceeded = limit.resource;
  result.message = limit.message;
  result.interpreterRestarted = restarted;
}

/**
 * Explains a sandbox that died during an execution because the kernel's OOM
 * killer chose its supervisor. That happens when memory is held by no
 * process, such as files in /tmp, so the supervisor is the largest process
 * left. Returns undefined when no OOM kill happened during the execution.
 */
export function describeSandboxOomKill(
  confinement: SessionConfinement | undefined,
  before: LimitCounters | undefined,
  after: LimitCounters | undefined,
): { status: ExecutionStatus; message: string; limitExceeded: Resource } | undefined {
  if (confinement === undefined || before === undefined || after === undefined || after.oomKills <= before.oomKills) {
    return undefined;
  }
  return {
    status: ExecutionStatus.LIMIT_EXCEEDED,
    limitExceeded: Resource.MEMORY,
    message: `out of memory: the session reached its memory limit of ${formatBytes(confinement.limits.memoryBytes)}, so the kernel killed the sandbox's supervisor; the sandbox is being replaced and the variables are lost`,
  };
}
