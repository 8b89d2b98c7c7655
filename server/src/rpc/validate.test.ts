import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { ExecuteRequestSchema, SendInputRequestSchema } from "../gen/seatbelt/v1/execution_pb.js";
import { CreateSessionRequestSchema, LimitsSchema } from "../gen/seatbelt/v1/session_pb.js";
import {
  MAX_ADDITIONAL_DIRS,
  MAX_CODE_BYTES,
  MAX_ENV_ENTRIES,
  MAX_ENV_NAME_BYTES,
  MAX_ENV_VALUE_BYTES,
  MAX_INPUT_BYTES,
  type TimeoutPolicy,
  validateCreateSession,
  validateExecute,
  validateSendInput,
} from "./validate.js";
import { MAX_PROFILE_BYTES } from "../profiles/sources.js";
import { catchConnectError } from "../../../test/support/connect-errors.js";

type CreateSessionInit = Parameters<typeof create<typeof CreateSessionRequestSchema>>[1];
type LimitsInit = Parameters<typeof create<typeof LimitsSchema>>[1];
type ExecuteInit = Parameters<typeof create<typeof ExecuteRequestSchema>>[1];

const DEFAULT_SETTINGS = { source: { kind: "name", name: "default" }, additionalReadDirs: [], additionalWriteDirs: [], pythonEnvPath: "" };

const POLICY: TimeoutPolicy = { pythonTimeoutMs: 120_000, shellTimeoutMs: 60_000, maxTimeoutMs: 3_600_000 };

function manyEntries(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, index) => [`VAR_${index}`, "1"]));
}

/** Limits that the stub resolver returns for every request. */
const RESOLVED_LIMITS = { memoryBytes: 1, maxProcesses: 2, cpuMillicores: 3, diskBytes: 4, openFiles: 5, fileSizeBytes: 6 };

const OUTPUT_POLICY = { defaultOutputBytes: 16 * 1024 * 1024, maxOutputBytes: 256 * 1024 * 1024 };

function createSession(init: CreateSessionInit) {
  return validateCreateSession(create(CreateSessionRequestSchema, init));
}

function execute(init: ExecuteInit, policy: TimeoutPolicy = POLICY) {
  return validateExecute(create(ExecuteRequestSchema, { sessionId: "sess_1", ...init }), policy);
}

describe("validateCreateSession", () => {
  test("empty request uses default profile", () => {
    expect(createSession({})).toEqual({ env: {}, profile: DEFAULT_SETTINGS, outputBytes: 16 * 1024 * 1024, safety: { python: undefined, shell: undefined } });
  });

  test("profile without source uses default", () => {
    expect(createSession({ profile: {} }).profile.source).toEqual({ kind: "name", name: "default" });
  });

  test.each(["default", "network", "read-only", "strict"])("predefined profile %s accepted", (name) => {
    expect(createSession({ profile: { source: { case: "name", value: name } } }).profile.source).toEqual({ kind: "name", name });
  });

  test("profile text passes through", () => {
    const text = "(version 1)\n(allow default)";

    expect(createSession({ profile: { source: { case: "seatbeltProfile", value: text } } }).profile.source).toEqual({ kind: "text", text });
  });

  test("profile path passes through", () => {
    const path = "/srv/profiles/team.sb";

    expect(createSession({ profile: { source: { case: "seatbeltProfilePath", value: path } } }).profile.source).toEqual({ kind: "path", path });
  });

  test("additional dirs and python env pass through", () => {
    const settings = createSession({ profile: { additionalReadDirs: ["/data"], additionalWriteDirs: ["/scratch"] }, pythonEnvPath: "/opt/venvs/a" }).profile;

    expect(settings.additionalReadDirs).toEqual(["/data"]);
    expect(settings.additionalWriteDirs).toEqual(["/scratch"]);
    expect(settings.pythonEnvPath).toBe("/opt/venvs/a");
  });

  test.each<{ name: string; init: CreateSessionInit; fragment: string }>([
    { name: "newline in read dir", init: { profile: { additionalReadDirs: ["/data\n(allow default)"] } }, fragment: "additional_read_dirs entry" },
    { name: "NUL in write dir", init: { profile: { additionalWriteDirs: ["/data\0"] } }, fragment: "additional_write_dirs entry" },
    { name: "empty write dir", init: { profile: { additionalWriteDirs: [""] } }, fragment: "must be non-empty" },
    { name: "newline in python env", init: { pythonEnvPath: "/opt/venv\n" }, fragment: "python_env_path" },
    { name: "NUL in profile path", init: { profile: { source: { case: "seatbeltProfilePath", value: "/p\0.sb" } } }, fragment: "seatbelt_profile_path" },
    { name: "too many dirs", init: { profile: { additionalReadDirs: Array.from({ length: MAX_ADDITIONAL_DIRS + 1 }, (_, index) => `/d${index}`) } }, fragment: `the maximum is ${MAX_ADDITIONAL_DIRS}` },
    { name: "oversized profile text", init: { profile: { source: { case: "seatbeltProfile", value: ";".repeat(MAX_PROFILE_BYTES + 1) } } }, fragment: `larger than ${MAX_PROFILE_BYTES} bytes` },
  ])("$name is InvalidArgument", ({ init, fragment }) => {
    const error = catchConnectError(() => createSession(init));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(fragment);
  });

  test("valid env passes through", () => {
    const env = { API_MODE: "test", EMPTY: "", UNICODE: "≤ 😀", "lower.dotted-name": "x" };

    expect(createSession({ env }).env).toEqual(env);
  });

  test.each<{ name: string; env: Record<string, string>; fragment: string }>([
    { name: "name with =", env: { "A=B": "1" }, fragment: 'env name "A=B" is invalid' },
    { name: "name with NUL", env: { "A\0B": "1" }, fragment: 'env name "A\\u0000B" is invalid' },
    { name: "empty name", env: { "": "1" }, fragment: 'env name "" is invalid' },
    { name: "oversize name", env: { ["N".repeat(MAX_ENV_NAME_BYTES + 1)]: "1" }, fragment: `"${"N".repeat(40)}"… is longer than ${MAX_ENV_NAME_BYTES} bytes` },
    { name: "value with NUL", env: { BAD: "a\0b" }, fragment: "env value of BAD contains a NUL byte" },
    { name: "oversize value", env: { BIG: "v".repeat(MAX_ENV_VALUE_BYTES + 1) }, fragment: `env value of BIG is longer than ${MAX_ENV_VALUE_BYTES} bytes` },
    { name: "oversize multi-byte value", env: { WIDE: "≤".repeat(MAX_ENV_VALUE_BYTES / 3 + 1) }, fragment: "env value of WIDE is longer than" },
    { name: "too many entries", env: manyEntries(MAX_ENV_ENTRIES + 1), fragment: `env has ${MAX_ENV_ENTRIES + 1} variables; the maximum is ${MAX_ENV_ENTRIES}` },
  ])("env $name rejected", ({ env, fragment }) => {
    const error = catchConnectError(() => createSession({ env }));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(fragment);
  });

  test.each<{ name: string; env: Record<string, string> }>([
    { name: "name at maximum", env: { ["N".repeat(MAX_ENV_NAME_BYTES)]: "1" } },
    { name: "value at maximum", env: { BIG: "v".repeat(MAX_ENV_VALUE_BYTES) } },
    { name: "entries at maximum", env: manyEntries(MAX_ENV_ENTRIES) },
  ])("env $name accepted", ({ env }) => {
    expect(createSession({ env }).env).toEqual(env);
  });

  test.each([
    { name: "unknown name", source: { case: "name", value: "lenient" }, fragment: 'profile "lenient" not found; available: default, network, read-only, strict' },
    { name: "empty name", source: { case: "name", value: "" }, fragment: 'profile "" not found' },
  ] as const)("profile $name is NotFound", ({ source, fragment }) => {
    const error = catchConnectError(() => createSession({ profile: { source } }));

    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toContain(fragment);
  });

  test.each<{ name: string; limits: LimitsInit }>([
    { name: "memoryBytes", limits: { memoryBytes: 1024n } },
    { name: "maxProcesses", limits: { maxProcesses: 10 } },
    { name: "cpuMillicores", limits: { cpuMillicores: 500 } },
    { name: "diskBytes", limits: { diskBytes: 1n } },
    { name: "openFiles", limits: { openFiles: 64 } },
    { name: "fileSizeBytes", limits: { fileSizeBytes: 1n } },
  ])("limit $name is Unimplemented", ({ limits }) => {
    const error = catchConnectError(() => createSession({ limits }));

    expect(error.code).toBe(Code.Unimplemented);
    expect(error.rawMessage).toContain("resource limits other than output_bytes are not enforced by this server version");
  });

  test("output cap within the maximum is taken", () => {
    expect(createSession({ limits: { outputBytes: 1000n } }).outputBytes).toBe(1000);
  });

  test("output cap above the maximum is InvalidArgument", () => {
    const error = catchConnectError(() => createSession({ limits: { outputBytes: 2n ** 40n } }));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("limits.output_bytes is 1099511627776; the server's maximum is 268435456");
  });

  test("all-zero limits accepted", () => {
    expect(createSession({ limits: {} })).toEqual({ env: {}, profile: DEFAULT_SETTINGS, outputBytes: 16 * 1024 * 1024, safety: { python: undefined, shell: undefined } });
  });

  test("limits go to the resolver", () => {
    const request = create(CreateSessionRequestSchema, { limits: { memoryBytes: 1024n, openFiles: 64 } });
    const seen: unknown[] = [];
    const options = validateCreateSession(request, {
      ...OUTPUT_POLICY,
      resolveLimits: (limits) => {
        seen.push(limits);
        return RESOLVED_LIMITS;
      },
    });

    expect(seen).toEqual([request.limits]);
    expect(options.limits).toEqual(RESOLVED_LIMITS);
  });

  test("resolver errors propagate", () => {
    const resolveLimits = () => {
      throw new ConnectError("limits.memory_bytes is too big", Code.InvalidArgument);
    };
    const error = catchConnectError(() => validateCreateSession(create(CreateSessionRequestSchema, {}), { ...OUTPUT_POLICY, resolveLimits }));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("limits.memory_bytes is too big");
  });
});

describe("validateExecute", () => {
  test("missing session id rejected", () => {
    const request = create(ExecuteRequestSchema, { task: { case: "python", value: { code: "1" } } });

    const error = catchConnectError(() => validateExecute(request, POLICY));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("session_id is missing");
  });

  test("missing task rejected", () => {
    const error = catchConnectError(() => execute({}));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("task is missing: set python or shell");
  });

  test("python task passes code through", () => {
    expect(execute({ task: { case: "python", value: { code: "print(1)" } } }).task).toEqual({ kind: "python", code: "print(1)" });
  });

  test("python code at maximum accepted", () => {
    const code = "#".repeat(MAX_CODE_BYTES);

    expect(execute({ task: { case: "python", value: { code } } }).task).toEqual({ kind: "python", code });
  });

  test.each([
    { name: "ASCII", code: "#".repeat(MAX_CODE_BYTES + 1) },
    // Fewer characters than the maximum, but more bytes in UTF-8.
    { name: "multi-byte", code: "≤".repeat(MAX_CODE_BYTES / 2) },
  ])("oversize $name python code rejected", ({ code }) => {
    const error = catchConnectError(() => execute({ task: { case: "python", value: { code } } }));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(`python.code is larger than ${MAX_CODE_BYTES} bytes`);
  });

  test("shell command task accepted", () => {
    expect(execute({ task: { case: "shell", value: { command: "ls -l", workdir: "sub" } } }).task).toEqual({ kind: "shell", command: "ls -l", workdir: "sub" });
  });

  test("shell argv task accepted", () => {
    expect(execute({ task: { case: "shell", value: { argv: ["ls", "-l"] } } }).task).toEqual({ kind: "shell", argv: ["ls", "-l"], workdir: "" });
  });

  test.each([
    { name: "both command and argv", value: { command: "ls", argv: ["ls"] } },
    { name: "neither command nor argv", value: { workdir: "sub" } },
  ])("shell with $name rejected", ({ value }) => {
    const error = catchConnectError(() => execute({ task: { case: "shell", value } }));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("shell task needs exactly one of command and argv");
  });

  test.each([
    { name: "command", value: { command: "x".repeat(MAX_CODE_BYTES + 1) } },
    { name: "argv", value: { argv: ["echo", "x".repeat(MAX_CODE_BYTES)] } },
  ])("oversize shell $name rejected", ({ value }) => {
    const error = catchConnectError(() => execute({ task: { case: "shell", value } }));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(`shell command is larger than ${MAX_CODE_BYTES} bytes`);
  });

  test.each([
    { name: "command", value: { command: "echo a\0b" } },
    { name: "argv", value: { argv: ["echo", "a\0b"] } },
    { name: "workdir", value: { command: "ls", workdir: "sub\0dir" } },
  ])("NUL in shell $name rejected", ({ value }) => {
    const error = catchConnectError(() => execute({ task: { case: "shell", value } }));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("must not contain NUL bytes");
  });

  test.each([
    { name: "python default", task: { case: "python", value: { code: "1" } }, timeoutMs: 0n, expected: 120_000 },
    { name: "shell default", task: { case: "shell", value: { command: "true" } }, timeoutMs: 0n, expected: 60_000 },
    { name: "requested below maximum", task: { case: "python", value: { code: "1" } }, timeoutMs: 5_000n, expected: 5_000 },
    { name: "requested at maximum", task: { case: "shell", value: { command: "true" } }, timeoutMs: 3_600_000n, expected: 3_600_000 },
    { name: "requested above maximum", task: { case: "python", value: { code: "1" } }, timeoutMs: 3_600_001n, expected: 3_600_000 },
    { name: "largest uint64", task: { case: "shell", value: { command: "true" } }, timeoutMs: 2n ** 64n - 1n, expected: 3_600_000 },
  ] as const)("timeout $name", ({ task, timeoutMs, expected }) => {
    expect(execute({ task, timeoutMs }).timeoutMs).toBe(expected);
  });

  test("default timeout capped at maximum", () => {
    const policy: TimeoutPolicy = { pythonTimeoutMs: 10_000, shellTimeoutMs: 10_000, maxTimeoutMs: 1_000 };

    expect(execute({ task: { case: "python", value: { code: "1" } } }, policy).timeoutMs).toBe(1_000);
  });

  test("stdin, keep_stdin_open and detach pass through", () => {
    const options = execute({ task: { case: "python", value: { code: "input()" } }, stdin: new Uint8Array([104, 105]), keepStdinOpen: true, detach: true });

    expect([...options.stdin]).toEqual([104, 105]);
    expect(options.keepStdinOpen).toBe(true);
    expect(options.detach).toBe(true);
  });

  test("stdin over the maximum is InvalidArgument", () => {
    const error = catchConnectError(() => execute({ task: { case: "python", value: { code: "1" } }, stdin: new Uint8Array(MAX_INPUT_BYTES + 1) }));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(`stdin has ${MAX_INPUT_BYTES + 1} bytes; the maximum is ${MAX_INPUT_BYTES}`);
  });
});

describe("validateSendInput", () => {
  test("missing execution id is InvalidArgument", () => {
    const error = catchConnectError(() => validateSendInput(create(SendInputRequestSchema, { data: new Uint8Array(1) })));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("execution_id is missing");
  });

  test("data over the maximum is InvalidArgument", () => {
    const request = create(SendInputRequestSchema, { executionId: "exe_1", data: new Uint8Array(MAX_INPUT_BYTES + 1) });

    const error = catchConnectError(() => validateSendInput(request));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(`the maximum is ${MAX_INPUT_BYTES} per SendInput`);
  });
});
