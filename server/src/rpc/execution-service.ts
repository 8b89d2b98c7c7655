import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { ExecutionService } from "../gen/seatbelt/v1/execution_pb.js";
import { SessionState } from "../gen/seatbelt/v1/session_pb.js";
import type { SessionRegistry } from "../sessions/registry.js";
import { requireSession } from "./session-service.js";
import { type TimeoutPolicy, validateExecute } from "./validate.js";

/** Handlers of seatbelt.v1.ExecutionService. */
export function createExecutionService(registry: SessionRegistry, policy: TimeoutPolicy): ServiceImpl<typeof ExecutionService> {
  return {
    async *execute(request, context) {
      const { task, timeoutMs } = validateExecute(request, policy);
      const session = requireSession(registry, request.sessionId);
      if (session.state === SessionState.FAILED) {
        throw new ConnectError(`session ${session.id} has failed because its sandbox could not be restarted; delete it and create a new one`, Code.FailedPrecondition);
      }
      const execution = registry.execute(session, task, timeoutMs);

      // A caller that goes away, or whose deadline passes, no longer wants
      // the execution: stop it instead of running on unseen.
      const onAbort = () => session.stop(execution, "disconnect");
      context.signal.addEventListener("abort", onAbort, { once: true });
      try {
        yield* execution.follow(0n, context.signal);
      } finally {
        context.signal.removeEventListener("abort", onAbort);
      }
    },

    async *streamOutput(request, context) {
      const found = registry.findExecution(request.executionId);
      if (found === undefined) {
        throw new ConnectError(`execution ${JSON.stringify(request.executionId)} not found; finished executions are kept only for a limited time`, Code.NotFound);
      }
      yield* found.execution.follow(request.fromSeq, context.signal);
    },

    cancelExecution(request) {
      const found = registry.findExecution(request.executionId);
      if (found === undefined) {
        throw new ConnectError(`execution ${JSON.stringify(request.executionId)} not found`, Code.NotFound);
      }
      return { cancelled: found.session.stop(found.execution, "cancel") };
    },
  };
}
