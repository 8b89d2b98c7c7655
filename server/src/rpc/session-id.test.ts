import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { requireSessionId } from "./session-id.js";

describe("requireSessionId", () => {
  test("empty id is InvalidArgument", () => {
    let caught: unknown;
    try {
      requireSessionId("");
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConnectError);
    expect((caught as ConnectError).code).toBe(Code.InvalidArgument);
    expect((caught as ConnectError).rawMessage).toBe("session_id is missing");
  });

  test("other id is returned", () => {
    expect(requireSessionId("ses_1")).toBe("ses_1");
  });
});
