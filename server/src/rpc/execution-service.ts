import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { TENANT_KEY } from "../auth/tenant.js";
import type { ExecutionService } from "../gen/seatbelt/v1/execution_pb.js";
import { SessionState } from "../gen/seatbelt/v1/session_pb.js";
import type { Heartbeat } from "../sessions/heartbeat.js";
import type { SessionRegistry } from "../sessions/registry.js";
import { requireSession, toConnectError } from "./session-service.js";
import { assertShellAllowed } from "./shell-permission.js";
import { requireExecutionId } from "./session-id.js";
import { type ExecutePolicy, validateExecute, validateSendInput } from "./validate.js";

/** Settings of the execution handlers. */
export interface ExecutionPolicy extends ExecutePolicy {
  /** Executions that may wait behind the running one on one session. */
  readonly maxQueuedExecutions: number;
}

/**
 * Input that may wait in the server for one sandbox or one queued execution
 * before SendInput is refused. @default 4 MiB
 */
const MAX_UNSENT_INPUT_BYTES = 4 * 1024 * 1024;

/** Returns the caller's execution; another tenant's gets the same NOT_FOUND as an unknown id. */
function requireExecution(registry: SessionRegistry, id: string, context: HandlerContext) {
  const found = registry.findExecution(requireExecutionId(id), context.values.get(TENANT_KEY).name);
  if (found === undefined) {
    throw new ConnectError(`execution ${JSON.stringify(id)} not found; finished executions are kept only for a limited time`, Code.NotFound);
  }
  return found;
}

/**
 * Slack within which a caller that resets its stream counts as having hit
 * its deadline: the client's timer and the server's race. @default 100
 */
const DEADLINE_SLACK_MS = 100;

/** Tells a caller whose deadline passed from one that went away. */
function isDeadline(context: HandlerContext): boolean {
  const reason: unknown = context.signal.reason;
  if (reason instanceof ConnectError && reason.code === Code.DeadlineExceeded) {
    return true;
  }
  const remainingMs = context.timeoutMs();
  return remainingMs !== undefined && remainingMs <= DEADLINE_SLACK_MS;
}

/** Handlers of seatbelt.v1.ExecutionService. */
export function createExecutionService(registry: SessionRegistry, policy: ExecutionPolicy, heartbeat: Heartbeat): ServiceImpl<typeof ExecutionService> {
  return {
    async *execute(request, context) {
      const { task, timeoutMs, stdin, keepStdinOpen, detach } = validateExecute(request, policy);
      try {
        registry.assertOpen();
      } catch (error) {
        throw toConnectError(error);
      }
      const session = requireSession(registry, request.sessionId, context);
      if (session.state === SessionState.FAILED) {
        throw new ConnectError(`session ${session.id} has failed because its sandbox could not be restarted; restart or delete it`, Code.FailedPrecondition);
      }
      if (task.kind === "shell") {
        assertShellAllowed(session.options.prepared.linuxProfile, session.id);
      }
      if (session.queuedCount >= policy.maxQueuedExecutions) {
        throw new ConnectError(
          `session ${session.id} already has ${session.queuedCount} executions waiting, the maximum (maxQueuedExecutions); wait for some to end`,
          Code.ResourceExhausted,
        );
      }
      const execution = registry.execute(session, task, { timeoutMs, stdin, keepStdinOpen });
      // A caller that goes away, or whose deadline passes, no longer wants
      // the execution: stop it instead of running on unseen, unless the
      // request detached it.
      const onAbort = () => session.stop(execution, isDeadline(context) ? "deadline" : "disconnect");
      if (!detach) {
        context.signal.addEventListener("abort", onAbort, { once: true });
      }
      try {
        yield* execution.follow(0n, context.signal, heartbeat);
      } finally {
        context.signal.removeEventListener("abort", onAbort);
      }
    },
    async *streamOutput(request, context) {
      const found = requireExecution(registry, request.executionId, context);
      yield* found.execution.follow(request.fromSeq, context.signal, heartbeat);
    },
    cancelExecution(request, context) {
      const found = requireExecution(registry, request.executionId, context);
      return { cancelled: found.session.stop(found.execution, "cancel") };
    },
    sendInput(request, context) {
      validateSendInput(request);
      const { execution, session } = requireExecution(registry, request.executionId, context);
      if (execution.phase === "finished") {
        throw new ConnectError(`execution ${execution.id} has finished, so it reads no more input`, Code.FailedPrecondition);
      }
      if (execution.stdin.closed) {
        throw new ConnectError(
          `stdin of execution ${execution.id} is closed; set keep_stdin_open in ExecuteRequest to send input later, and send close only once`,
          Code.FailedPrecondition,
        );
      }
      const unsent = execution.phase === "queued" ? execution.stdin.heldBytes : session.unsentBytes;
      if (unsent + request.data.length > MAX_UNSENT_INPUT_BYTES) {
        throw new ConnectError(
          `execution ${execution.id} has ${unsent} bytes of input it has not read yet; at most ${MAX_UNSENT_INPUT_BYTES} may wait, so send the rest once it reads`,
          Code.ResourceExhausted,
        );
      }
      session.sendInput(execution, request.data, request.close);
      return {};
    },
  };
}
