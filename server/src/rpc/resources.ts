import { create } from "@bufbuild/protobuf";
import { LimitsSchema, type Limits, ResourceUsageSchema, type ResourceUsage } from "../gen/seatbelt/v1/session_pb.js";
import type { SessionConfinement } from "../sandbox/limits/session-confinement.js";

/**
 * Returns a session's limits and current resource use as the API spells
 * them. A session without confinement has only its output cap, which every
 * session has.
 */
export function describeResources(confinement: SessionConfinement | undefined, outputBytes: number): { limits: Limits; resourceUsage?: ResourceUsage } {
  if (confinement === undefined) {
    return { limits: create(LimitsSchema, { outputBytes: BigInt(outputBytes) }) };
  }
  const { limits } = confinement;
  const usage = confinement.readUsage();
  return {
    limits: create(LimitsSchema, {
      memoryBytes: BigInt(limits.memoryBytes),
      maxProcesses: limits.maxProcesses,
      cpuMillicores: limits.cpuMillicores,
      diskBytes: BigInt(limits.diskBytes),
      openFiles: limits.openFiles,
      fileSizeBytes: BigInt(limits.fileSizeBytes),
      outputBytes: BigInt(outputBytes),
    }),
    resourceUsage: create(ResourceUsageSchema, {
      memoryBytes: BigInt(usage.memoryBytes),
      memoryPeakBytes: BigInt(usage.memoryPeakBytes),
      processes: usage.processes,
      diskBytes: BigInt(usage.diskBytes),
      cpuUsec: BigInt(usage.cpuUsec),
    }),
  };
}
