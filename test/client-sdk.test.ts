import { onTestFinished } from "vitest";
import {
  CallAbortedError,
  CallTimeoutError,
  Code,
  type ExecuteResponse,
  ExecutionStatus,
  FailedPreconditionError,
  NotFoundError,
  SeatbeltError,
  InvalidRequestError,
  createSeatbeltClient,
} from "../client/src/index.js";
import { startTcpProxy } from "./support/tcp-proxy.js";
import { describe, expect, test } from "./support/fixtures.js";

describe("client errors", () => {
  test("missing session is NotFoundError with a hint", async ({ client }) => {
    const failure = await client.getSession("ses_missing").catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(NotFoundError);
    expect(failure).toBeInstanceOf(SeatbeltError);
    expect((failure as NotFoundError).code).toBe(Code.NotFound);
    expect((failure as NotFoundError).rawMessage).toBe('session "ses_missing" not found; it may have been deleted');
    expect((failure as NotFoundError).hint).toContain("create a new session");
  });

  test("unknown profile is NotFoundError", async ({ client }) => {
    const failure = await client.createSession({ profile: { source: { case: "name", value: "nonesuch" } } }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(NotFoundError);
    expect((failure as NotFoundError).rawMessage).toContain('profile "nonesuch" not found');
    expect((failure as NotFoundError).hint).toContain("profile name or path");
  });

  test("input to a finished execution is FailedPreconditionError", async ({ session }) => {
    const outcome = await session.runPython("1");
    const failure = await session.sendInput(outcome.executionId, "late").catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(FailedPreconditionError);
    expect((failure as FailedPreconditionError).code).toBe(Code.FailedPrecondition);
    expect((failure as FailedPreconditionError).rawMessage).toContain("has finished, so it reads no more input");
  });

  test("restarting a deleted session is NotFoundError", async ({ client }) => {
    const session = await client.createSession();
    await session.close();
    const failure = await session.restart().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(NotFoundError);
    expect((failure as NotFoundError).rawMessage).toContain("not found");
  });

  test("invalid setting is InvalidRequestError", async ({ client }) => {
    const failure = await client.createSession({ env: { "A=B": "x" } }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(InvalidRequestError);
    expect((failure as InvalidRequestError).code).toBe(Code.InvalidArgument);
  });

  test("aborted signal ends a call with CallAbortedError", async ({ client }) => {
    const failure = await client.listSessions({ signal: AbortSignal.abort() }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(CallAbortedError);
    expect((failure as CallAbortedError).code).toBe(Code.Canceled);
  });

  test("passed timeout ends a call with CallTimeoutError", async ({ client }) => {
    // Starting a sandbox takes far longer than one millisecond.
    const failure = await client.createSession({}, { timeoutMs: 1 }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(CallTimeoutError);
    expect((failure as CallTimeoutError).code).toBe(Code.DeadlineExceeded);
  });

  test("aborted run cancels the execution", async ({ session }) => {
    const controller = new AbortController();
    const failure = await session
      .runPython("import time\nprint('waiting', flush=True)\ntime.sleep(60)", { signal: controller.signal, onStdout: () => controller.abort() })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(CallAbortedError);
    const next = await session.runPython("print('free again')");
    expect(next.stdout).toBe("free again\n");
  });
});

describe("stream resumption", () => {
  test("broken StreamOutput resumes with every event once", async ({ server, session }) => {
    const proxy = await startTcpProxy(server.port);
    onTestFinished(() => proxy.close());
    const viaProxy = createSeatbeltClient({ baseUrl: proxy.url });

    const direct = session.streamPython("import time\nfor i in range(30):\n    print(i, flush=True)\n    time.sleep(0.02)")[Symbol.asyncIterator]();
    const started = (await direct.next()).value as ExecuteResponse;
    const events: ExecuteResponse[] = [];
    for await (const event of viaProxy.streamOutput(started.executionId, { resume: { retryDelayMs: 10 } })) {
      events.push(event);
      if (events.length === 5) {
        proxy.breakConnections();
      }
    }
    for (let next = await direct.next(); next.done !== true; next = await direct.next()) {
      // Drain the Execute stream so that the execution ends normally.
    }

    expect(proxy.accepted()).toBeGreaterThan(1);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => BigInt(index + 1)));
    const stdout = events.flatMap((event) => (event.event.case === "output" && event.event.value.content.case === "text" ? [event.event.value.content.value] : []));
    expect(stdout.join("")).toBe(Array.from({ length: 30 }, (_, index) => `${index}\n`).join(""));
    const last = events.at(-1)!.event;
    expect(last.case).toBe("result");
    expect(last.case === "result" ? last.value.status : undefined).toBe(ExecutionStatus.OK);
  });

  test("resuming a forgotten execution is NotFoundError", async ({ client }) => {
    const events = client.streamOutput("exe_missing");

    const failure = await (async () => {
      for await (const _ of events) {
        // No event is expected.
      }
    })().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(NotFoundError);
  });
});
