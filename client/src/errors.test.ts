import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { ERROR_TABLE, FailedPreconditionError, LimitReachedError, NotFoundError, PermissionDeniedError, UnavailableError, SeatbeltError, toSeatbeltError } from "./errors.js";

const CODES = Object.values(Code).filter((value): value is Code => typeof value === "number");

describe("toSeatbeltError", () => {
  test.for(CODES)("code %i maps to a class with a hint", (code) => {
    const error = toSeatbeltError(new ConnectError("it failed", code));

    expect(error).toBeInstanceOf(ERROR_TABLE[code].errorClass);
    expect(error.code).toBe(code);
    expect(error.hint).not.toBe("");
    expect(error.rawMessage).toBe("it failed");
    expect(error.message).toMatch(new RegExp(`^\\[[a-z_]+\\] it failed \\(`));
    expect(error.message.endsWith(`(${error.hint})`)).toBe(true);
    expect(error.cause).toBeInstanceOf(ConnectError);
  });

  test.for([
    [Code.NotFound, NotFoundError],
    [Code.ResourceExhausted, LimitReachedError],
    [Code.PermissionDenied, PermissionDeniedError],
    [Code.Unavailable, UnavailableError],
    [Code.FailedPrecondition, FailedPreconditionError],
  ] as const)("code %i is %o", ([code, errorClass]) => {
    expect(toSeatbeltError(new ConnectError("x", code))).toBeInstanceOf(errorClass);
  });

  test("hints fit every server use of their code", () => {
    expect(ERROR_TABLE[Code.PermissionDenied].hint).toContain("profile directories or environment roots");
    expect(ERROR_TABLE[Code.PermissionDenied].hint).not.toContain("change the code");
    expect(ERROR_TABLE[Code.NotFound].hint).toContain("profile name or path");
    expect(ERROR_TABLE[Code.FailedPrecondition].hint).not.toContain("delete a failed session");
  });

  test("SeatbeltError stays a ConnectError", () => {
    const error = toSeatbeltError(new ConnectError("gone", Code.NotFound));

    expect(ConnectError.from(error)).toBe(error);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).not.toBeInstanceOf(LimitReachedError);
    expect(new ConnectError("plain", Code.NotFound)).not.toBeInstanceOf(NotFoundError);
  });

  test("SeatbeltError passes through unchanged", () => {
    const original = toSeatbeltError(new ConnectError("gone", Code.NotFound));

    expect(toSeatbeltError(original)).toBe(original);
  });

  test("plain Error becomes an unknown ServerError", () => {
    const error = toSeatbeltError(new Error("boom"));

    expect(error).toBeInstanceOf(SeatbeltError);
    expect(error.code).toBe(Code.Unknown);
    expect(error.rawMessage).toBe("boom");
  });
});
