import { release } from "node:os";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { TENANT_KEY } from "../auth/tenant.js";
import type { ServerConfig } from "../config.js";
import type { ExecutionPolicySchema, ServerInfoService } from "../gen/seatbelt/v1/server_info_pb.js";
import type { BubblewrapBackend } from "../sandbox/bubblewrap/backend.js";
import type { ProfileDescription } from "../profiles/predefined.js";
import type { LimitDescription } from "../sandbox/limits/enforcement.js";
import type { SecurityLayerDescription } from "../sandbox/security-layers.js";

export interface ServerInfoOptions {
  readonly version: string;
  readonly backend: BubblewrapBackend;
  readonly profiles: readonly ProfileDescription[];
  readonly defaultPython: string;
  readonly config: ServerConfig;
  readonly limits: readonly LimitDescription[];
  readonly securityLayers: readonly SecurityLayerDescription[];
  readonly access: AccessDescription;
}

/** Authentication that callers need, and whether the connection uses TLS. */
export interface AccessDescription {
  readonly tokensRequired: boolean;
  readonly tls: boolean;
  readonly clientCertificatesRequired: boolean;
}

/** Describes the server's timeouts, output and session limits. */
function describePolicy(config: ServerConfig): MessageInitShape<typeof ExecutionPolicySchema> {
  return {
    pythonTimeoutMs: BigInt(config.pythonTimeoutMs),
    shellTimeoutMs: BigInt(config.shellTimeoutMs),
    maxTimeoutMs: BigInt(config.maxTimeoutMs),
    killGraceMs: BigInt(config.killGraceMs),
    defaultOutputBytes: BigInt(config.defaultOutputBytes),
    maxOutputBytes: BigInt(config.maxOutputBytes),
    retainedEventBytes: BigInt(config.retainedEventBytes),
    finishedRetentionMs: BigInt(config.finishedRetentionMs),
    keepaliveIntervalMs: BigInt(config.keepaliveIntervalMs),
    sessionIdleTimeoutMs: BigInt(config.sessionIdleTimeoutMs),
    sessionMaxLifetimeMs: BigInt(config.sessionMaxLifetimeMs),
    maxSessions: config.maxSessions,
    maxQueuedExecutions: config.maxQueuedExecutions,
  };
}

/** Handlers of seatbelt.v1.ServerInfoService. */
export function createServerInfoService(options: ServerInfoOptions): ServiceImpl<typeof ServerInfoService> {
  const { backend } = options;
  return {
    getServerInfo(_request, context) {
      const tenant = context.values.get(TENANT_KEY);
      const bubblewrap = { ...backend.status, selected: backend.status.available };
      const sandboxExec = {
        name: "sandbox-exec",
        available: false,
        reason: process.platform === "darwin" ? "the sandbox-exec backend is not implemented in this server version" : "sandbox-exec exists only on macOS",
        selected: false,
        version: "",
      };
      return {
        version: options.version,
        platform: { os: process.platform, arch: process.arch, kernelRelease: release() },
        backends: process.platform === "darwin" ? [sandboxExec, bubblewrap] : [bubblewrap, sandboxExec],
        profiles: [...options.profiles],
        defaultPython: options.defaultPython,
        executionPolicy: describePolicy(options.config),
        limits: [...options.limits],
        securityLayers: [...options.securityLayers],
        ...options.access,
        tenant: tenant.name,
        tenantMaxSessions: tenant.maxSessions ?? 0,
      };
    },
  };
}
