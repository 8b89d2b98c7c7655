import { describe, expect, test } from "vitest";
import { ExecutionStatus, Resource } from "../../gen/seatbelt/v1/execution_pb.js";
import { type LimitEvidence, findExceededLimit, formatBytes } from "./limit-outcome.js";

const LIMITS = { memoryBytes: 256 << 20, maxProcesses: 32, cpuMillicores: 1000, diskBytes: 64 << 20, openFiles: 128, fileSizeBytes: 1 << 20 };
const QUIET = { oomKills: 0, forkFailures: 0 };

function evidence(overrides: Partial<LimitEvidence>): LimitEvidence {
  return { limits: LIMITS, kind: "python", status: ExecutionStatus.ERROR, interpreterRestarted: false, before: QUIET, after: QUIET, fullDisk: undefined, ...overrides };
}

describe("findExceededLimit", () => {
  test("OOM kill of interpreter is memory", () => {
    const limit = findExceededLimit(evidence({ status: ExecutionStatus.CRASHED, signal: 9, interpreterRestarted: true, after: { oomKills: 1, forkFailures: 0 } }));

    expect(limit?.resource).toBe(Resource.MEMORY);
    expect(limit?.message).toBe("out of memory: the session reached its memory limit of 256 MiB, so the kernel killed the interpreter, and its variables are lost");
  });

  test("OOM kill of a shell's process is memory", () => {
    const limit = findExceededLimit(evidence({ kind: "shell", exitCode: 137, after: { oomKills: 2, forkFailures: 0 } }));

    expect(limit?.message).toContain("so the kernel killed a process of the session");
  });

  test("failed forks are processes, even for OK", () => {
    const limit = findExceededLimit(evidence({ kind: "shell", status: ExecutionStatus.OK, after: { oomKills: 0, forkFailures: 5 } }));

    expect(limit?.resource).toBe(Resource.PROCESSES);
    expect(limit?.message).toContain("too many processes: the session reached its limit of 32 processes and threads");
  });

  test("counters seen before the execution ignored", () => {
    const busy = { oomKills: 3, forkFailures: 9 };

    expect(findExceededLimit(evidence({ before: busy, after: busy }))).toBeUndefined();
  });

  test("no counters without cgroup", () => {
    expect(findExceededLimit(evidence({ before: undefined, after: undefined }))).toBeUndefined();
  });

  test("full workspace on failure is disk", () => {
    const limit = findExceededLimit(evidence({ kind: "shell", exitCode: 1, fullDisk: "the workspace" }));

    expect(limit?.resource).toBe(Resource.DISK);
    expect(limit?.message).toBe("disk full: the workspace reached its size limit of 64 MiB");
  });

  test("full /tmp on failure is disk", () => {
    expect(findExceededLimit(evidence({ kind: "shell", exitCode: 1, fullDisk: "/tmp" }))?.message).toBe("disk full: /tmp reached its size limit of 64 MiB");
  });

  test("full workspace after success not reported", () => {
    expect(findExceededLimit(evidence({ status: ExecutionStatus.OK, fullDisk: "the workspace" }))).toBeUndefined();
  });

  test.each<{ name: string; overrides: Partial<LimitEvidence> }>([
    { name: "SIGXFSZ", overrides: { kind: "shell", signal: 25 } },
    { name: "shell status 153", overrides: { kind: "shell", exitCode: 153 } },
    { name: "Python EFBIG", overrides: { errorValue: "[Errno 27] File too large" } },
  ])("$name is file size", ({ overrides }) => {
    const limit = findExceededLimit(evidence(overrides));

    expect(limit?.resource).toBe(Resource.FILE_SIZE);
    expect(limit?.message).toBe("file too large: a process wrote past the file size limit of 1 MiB");
  });

  test("Python exit status 153 not file size", () => {
    expect(findExceededLimit(evidence({ exitCode: 153 }))).toBeUndefined();
  });

  test("Python EMFILE is open files", () => {
    const limit = findExceededLimit(evidence({ errorValue: "[Errno 24] Too many open files" }));

    expect(limit?.resource).toBe(Resource.OPEN_FILES);
    expect(limit?.message).toBe("too many open files: a process reached the limit of 128 open files");
  });

  test("Python MemoryError is memory", () => {
    const limit = findExceededLimit(evidence({ before: undefined, after: undefined, errorName: "MemoryError", errorValue: "" }));

    expect(limit?.resource).toBe(Resource.MEMORY);
    expect(limit?.message).toBe("out of memory: a process reached the session's memory limit of 256 MiB");
  });

  test("ordinary error is no limit", () => {
    expect(findExceededLimit(evidence({ errorValue: "division by zero" }))).toBeUndefined();
  });
});

describe("formatBytes", () => {
  test.each([
    [512, "512 bytes"],
    [1024, "1 KiB"],
    [256 << 20, "256 MiB"],
    [3 * 2 ** 30, "3 GiB"],
    [1536, "1536 bytes"],
  ])("%d is %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
