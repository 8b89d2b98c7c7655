import { describe, expect, test } from "vitest";
import { buildUnauthenticatedResponse } from "./early-rejection.js";

describe("buildUnauthenticatedResponse", () => {
  test.each(["application/grpc", "application/grpc+proto", "application/grpc-web+json", "application/grpc-web-text"])("%s gets a trailers-only response", (contentType) => {
    const reply = buildUnauthenticatedResponse(contentType, "missing token");

    expect(reply.status).toBe(200);
    expect(reply.headers).toEqual({ "content-type": contentType, "grpc-status": "16", "grpc-message": "missing token" });
    expect(reply.body).toHaveLength(0);
  });

  test("grpc-message is percent-encoded", () => {
    const reply = buildUnauthenticatedResponse("application/grpc", "100% wrong: ≤\n");

    expect(reply.headers["grpc-message"]).toBe("100%25 wrong: %E2%89%A4%0A");
  });

  test("Connect stream gets an end-of-stream message", () => {
    const reply = buildUnauthenticatedResponse("application/connect+json", "missing token");
    const json = reply.body.subarray(5).toString();

    expect(reply.status).toBe(200);
    expect(reply.body[0]).toBe(2);
    expect(reply.body.readUInt32BE(1)).toBe(json.length);
    expect(JSON.parse(json)).toEqual({ error: { code: "unauthenticated", message: "missing token" } });
  });

  test.each(["application/json", "application/proto", ""])("%j gets HTTP 401 with the JSON error", (contentType) => {
    const reply = buildUnauthenticatedResponse(contentType, "missing token");

    expect(reply.status).toBe(401);
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(reply.body.toString())).toEqual({ code: "unauthenticated", message: "missing token" });
  });
});
