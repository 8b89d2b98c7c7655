import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import { resolveConfig } from "../config.js";
import { CreateSessionRequestSchema } from "../gen/seatbelt/v1/session_pb.js";
import { resolveNewSessionOptions } from "../rpc/session-service.js";
import { isDefaultLaunch } from "./warm-pool.js";

const policy = resolveConfig({});

function resolve(init: Parameters<typeof create<typeof CreateSessionRequestSchema>>[1]) {
  return resolveNewSessionOptions(create(CreateSessionRequestSchema, init), policy);
}

describe("isDefaultLaunch", () => {
  test.each([
    ["an empty request", {}],
    ["the default profile named", { profile: { source: { case: "name" as const, value: "default" } } }],
    ["an empty env", { env: {} }],
  ])("accepts %s", async (_name, init) => {
    expect(isDefaultLaunch(await resolve(init), await resolve({}))).toBe(true);
  });

  test("rejects a request with env", async () => {
    expect(isDefaultLaunch(await resolve({ env: { NAME: "value" } }), await resolve({}))).toBe(false);
  });

  test("rejects another output cap", async () => {
    const defaults = await resolve({});
    expect(isDefaultLaunch({ ...defaults, outputBytes: defaults.outputBytes + 1 }, defaults)).toBe(false);
  });

  test("rejects any option that the defaults lack", async () => {
    const defaults = await resolve({});
    const withLimit = { ...defaults, memoryBytes: 1 } as typeof defaults;
    expect(isDefaultLaunch(withLimit, defaults)).toBe(false);
  });
});
