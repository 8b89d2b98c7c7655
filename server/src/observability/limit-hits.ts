import { type ExecutionResult, ExecutionStatus, Resource } from "../gen/seatbelt/v1/execution_pb.js";

/** The Limits field of each resource that can stop an execution, as the metric labels it. */
const LIMIT_NAMES: Readonly<Record<Resource, string>> = {
  [Resource.UNSPECIFIED]: "unspecified",
  [Resource.MEMORY]: "memory_bytes",
  [Resource.PROCESSES]: "max_processes",
  [Resource.CPU]: "cpu_millicores",
  [Resource.DISK]: "disk_bytes",
  [Resource.OPEN_FILES]: "open_files",
  [Resource.FILE_SIZE]: "file_size_bytes",
};

/**
 * Returns the limits that an execution hit, named as in the Limits message:
 * the one that stopped it, and output_bytes when the output cap dropped
 * output, which does not stop the execution.
 */
export function listLimitHits(result: ExecutionResult): string[] {
  const hits: string[] = [];
  if (result.status === ExecutionStatus.LIMIT_EXCEEDED) {
    hits.push(LIMIT_NAMES[result.limitExceeded] ?? "unspecified");
  }
  if (result.outputDroppedBytes > 0n) {
    hits.push("output_bytes");
  }
  return hits;
}
