import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import { ExecutionResultSchema, ExecutionStatus, Resource } from "../gen/seatbelt/v1/execution_pb.js";
import { listLimitHits } from "./limit-hits.js";

describe("listLimitHits", () => {
  test.each([
    { resource: Resource.MEMORY, limit: "memory_bytes" },
    { resource: Resource.PROCESSES, limit: "max_processes" },
    { resource: Resource.DISK, limit: "disk_bytes" },
    { resource: Resource.FILE_SIZE, limit: "file_size_bytes" },
  ])("names $limit for a stopped execution", ({ resource, limit }) => {
    const result = create(ExecutionResultSchema, { status: ExecutionStatus.LIMIT_EXCEEDED, limitExceeded: resource });

    expect(listLimitHits(result)).toEqual([limit]);
  });

  test("counts dropped output as output_bytes", () => {
    const result = create(ExecutionResultSchema, { status: ExecutionStatus.OK, outputDroppedBytes: 10n });

    expect(listLimitHits(result)).toEqual(["output_bytes"]);
  });

  test("finished execution hits nothing", () => {
    expect(listLimitHits(create(ExecutionResultSchema, { status: ExecutionStatus.OK }))).toEqual([]);
  });
});
