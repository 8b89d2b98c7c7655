import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { ExecuteRequestSchema, SendInputRequestSchema } from "../gen/seatbelt/v1/execution_pb.js";
import { CreateSessionRequestSchema } from "../gen/seatbelt/v1/session_pb.js";
import { MAX_PROFILE_BYTES } from "../profiles/sources.js";
import { catchConnectError } from "../../../test/support/connect-errors.js";
import { MAX_ARGV_ENTRIES, MAX_ID_BYTES, MAX_PATH_BYTES, MAX_PROFILE_NAME_BYTES } from "./bounds.js";
import { requireExecutionId, requireSessionId } from "./session-id.js";
import { MAX_ADDITIONAL_DIRS, MAX_CODE_BYTES, MAX_ENV_ENTRIES, MAX_ENV_NAME_BYTES, MAX_ENV_VALUE_BYTES, MAX_INPUT_BYTES, validateCreateSession, validateExecute, validateSendInput } from "./validate.js";

type CreateSessionInit = Parameters<typeof create<typeof CreateSessionRequestSchema>>[1];
type ExecuteInit = Parameters<typeof create<typeof ExecuteRequestSchema>>[1];

const POLICY = { pythonTimeoutMs: 1_000, shellTimeoutMs: 1_000, maxTimeoutMs: 10_000 };
const longPath = `/${"a".repeat(MAX_PATH_BYTES)}`;
const dirs = (count: number) => Array.from({ length: count }, (_, index) => `/dir${index}`);
const env = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`V${index}`, "1"]));

const createCases: [string, CreateSessionInit, string][] = [
  ["env entries over the maximum", { env: env(MAX_ENV_ENTRIES + 1) }, `env has ${MAX_ENV_ENTRIES + 1} variables; the maximum is ${MAX_ENV_ENTRIES}`],
  ["empty env name", { env: { "": "1" } }, "must be non-empty"],
  ["env name with '='", { env: { "A=B": "1" } }, 'contain no "=" or NUL'],
  ["env name with NUL", { env: { "A\0B": "1" } }, 'contain no "=" or NUL'],
  ["env name over the maximum", { env: { ["N".repeat(MAX_ENV_NAME_BYTES + 1)]: "1" } }, `is longer than ${MAX_ENV_NAME_BYTES} bytes`],
  ["env value with NUL", { env: { A: "x\0y" } }, "env value of A contains a NUL byte"],
  ["env value over the maximum", { env: { A: "v".repeat(MAX_ENV_VALUE_BYTES + 1) } }, `env value of A is longer than ${MAX_ENV_VALUE_BYTES} bytes`],
  ["profile text over the maximum", { profile: { source: { case: "seatbeltProfile", value: " ".repeat(MAX_PROFILE_BYTES + 1) } } }, `seatbelt_profile is larger than ${MAX_PROFILE_BYTES} bytes`],
  ["profile name over the maximum", { profile: { source: { case: "name", value: "p".repeat(MAX_PROFILE_NAME_BYTES + 1) } } }, `profile.name has ${MAX_PROFILE_NAME_BYTES + 1} bytes; the maximum is ${MAX_PROFILE_NAME_BYTES}`],
  ["profile path over the maximum", { profile: { source: { case: "seatbeltProfilePath", value: longPath } } }, `seatbelt_profile_path has ${longPath.length} bytes; the maximum is ${MAX_PATH_BYTES}`],
  ["profile path with NUL", { profile: { source: { case: "seatbeltProfilePath", value: "/a\0b" } } }, "contain no NUL or newline"],
  ["read dir over the maximum length", { profile: { additionalReadDirs: [longPath] } }, `additional_read_dirs entry has ${longPath.length} bytes; the maximum is ${MAX_PATH_BYTES}`],
  ["write dir with NUL", { profile: { additionalWriteDirs: ["/a\0"] } }, "additional_write_dirs entry"],
  ["too many additional dirs", { profile: { additionalReadDirs: dirs(MAX_ADDITIONAL_DIRS), additionalWriteDirs: ["/w"] } }, `together has ${MAX_ADDITIONAL_DIRS + 1} entries; the maximum is ${MAX_ADDITIONAL_DIRS}`],
  ["python env path over the maximum", { pythonEnvPath: longPath }, `python_env_path has ${longPath.length} bytes; the maximum is ${MAX_PATH_BYTES}`],
  ["python env path with newline", { pythonEnvPath: "/venv\n" }, "contain no NUL or newline"],
];

const executeCases: [string, ExecuteInit, string][] = [
  ["session id over the maximum", { sessionId: "s".repeat(MAX_ID_BYTES + 1), task: { case: "python", value: { code: "1" } } }, `session_id has ${MAX_ID_BYTES + 1} bytes; the maximum is ${MAX_ID_BYTES}`],
  ["python code over the maximum", { task: { case: "python", value: { code: "#".repeat(MAX_CODE_BYTES + 1) } } }, `python.code is larger than ${MAX_CODE_BYTES} bytes (maxCodeBytes)`],
  ["shell command over the maximum", { task: { case: "shell", value: { command: "#".repeat(MAX_CODE_BYTES + 1) } } }, `shell command is larger than ${MAX_CODE_BYTES} bytes`],
  ["argv entries over the maximum", { task: { case: "shell", value: { argv: Array.from({ length: MAX_ARGV_ENTRIES + 1 }, () => "x") } } }, `shell.argv has ${MAX_ARGV_ENTRIES + 1} entries; the maximum is ${MAX_ARGV_ENTRIES}`],
  ["argv word with NUL", { task: { case: "shell", value: { argv: ["echo", "a\0b"] } } }, "must not contain NUL bytes"],
  ["workdir over the maximum", { task: { case: "shell", value: { command: "ls", workdir: longPath } } }, `shell.workdir has ${longPath.length} bytes; the maximum is ${MAX_PATH_BYTES}`],
  ["workdir with NUL", { task: { case: "shell", value: { command: "ls", workdir: "/a\0" } } }, "must not contain NUL bytes"],
  ["stdin over the maximum", { task: { case: "python", value: { code: "1" } }, stdin: new Uint8Array(MAX_INPUT_BYTES + 1) }, `stdin has ${MAX_INPUT_BYTES + 1} bytes; the maximum is ${MAX_INPUT_BYTES}`],
];

describe("request bounds", () => {
  test.each(createCases)("CreateSession: %s is InvalidArgument", (_case, init, message) => {
    const error = catchConnectError(() => validateCreateSession(create(CreateSessionRequestSchema, init)));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(message);
  });

  test.each(executeCases)("Execute: %s is InvalidArgument", (_case, init, message) => {
    const error = catchConnectError(() => validateExecute(create(ExecuteRequestSchema, { sessionId: "ses_1", ...init }), POLICY));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(message);
  });

  test("configured maxCodeBytes applies", () => {
    const request = create(ExecuteRequestSchema, { sessionId: "ses_1", task: { case: "python", value: { code: "x = 1234" } } });

    expect(validateExecute(request, { ...POLICY, maxCodeBytes: 8 }).task).toEqual({ kind: "python", code: "x = 1234" });
    const error = catchConnectError(() => validateExecute(request, { ...POLICY, maxCodeBytes: 7 }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("python.code is larger than 7 bytes (maxCodeBytes)");
  });

  test("SendInput data over the maximum is InvalidArgument", () => {
    const error = catchConnectError(() => validateSendInput(create(SendInputRequestSchema, { executionId: "exe_1", data: new Uint8Array(MAX_INPUT_BYTES + 1) })));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(`the maximum is ${MAX_INPUT_BYTES} per SendInput`);
  });

  test("ids at the maximum are accepted and longer ones rejected", () => {
    expect(requireSessionId("s".repeat(MAX_ID_BYTES))).toHaveLength(MAX_ID_BYTES);
    expect(requireExecutionId("e".repeat(MAX_ID_BYTES))).toHaveLength(MAX_ID_BYTES);
    const error = catchConnectError(() => requireExecutionId("e".repeat(MAX_ID_BYTES + 1)));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe(`execution_id has ${MAX_ID_BYTES + 1} bytes; the maximum is ${MAX_ID_BYTES}`);
  });

  test("message does not echo an oversized value", () => {
    const error = catchConnectError(() => requireSessionId("z".repeat(MAX_ID_BYTES + 1)));

    expect(error.rawMessage).not.toContain("zzz");
  });
});
