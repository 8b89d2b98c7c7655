import { readFile, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { basename, join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { prepareAccess } from "./auth/access.js";
import { rejectUnauthenticatedEarly } from "./auth/early-rejection.js";
import { type ServerConfig, type ServerConfigInput, resolveConfig } from "./config.js";
import { ExecutionService } from "./gen/seatbelt/v1/execution_pb.js";
import { ServerInfoService } from "./gen/seatbelt/v1/server_info_pb.js";
import { CreateSessionRequestSchema, type Limits, SessionService } from "./gen/seatbelt/v1/session_pb.js";
import { HealthCheckResponse_ServingStatus } from "./gen/grpc/health/v1/health_pb.js";
import { createLogger } from "./logger.js";
import { createDualProtocolListener } from "./listener.js";
import { rejectSandboxPeers } from "./net/loopback-peer.js";
import { type MetricsServer, startMetricsServer } from "./observability/metrics.js";
import { createRpcInterceptor } from "./observability/rpc-interceptor.js";
import { describeProfiles } from "./profiles/predefined.js";
import { createExecutionService } from "./rpc/execution-service.js";
import { HealthStatus } from "./rpc/health-service.js";
import { registerOperationalServices } from "./rpc/operational-services.js";
import { createServerInfoService } from "./rpc/server-info-service.js";
import { createSessionService, resolveNewSessionOptions } from "./rpc/session-service.js";
import type { SessionPolicy } from "./rpc/validate.js";
import type { ProfilePolicy } from "./profiles/resolve-request.js";
import { BubblewrapBackend } from "./sandbox/bubblewrap/backend.js";
import { describeNamespaces } from "./sandbox/security-layers.js";
import { describeSeccomp } from "./sandbox/seccomp/layer.js";
import { describeLandlock } from "./sandbox/landlock.js";
import { LimitEnforcer } from "./sandbox/limits/limit-enforcer.js";
import { readLimitPolicy } from "./sandbox/limits/session-limits.js";
import { unmountWorkspacesBelow } from "./sandbox/limits/workspace-tmpfs.js";
import { installRuntime } from "./sandbox/runtime-files.js";
import { Heartbeat } from "./sessions/heartbeat.js";
import { SessionRegistry, getWorkspacesDir } from "./sessions/registry.js";
import { WarmPool } from "./sessions/warm-pool.js";
import { removeTree } from "./sessions/workspace.js";
import { assertSearchableBy, createInstanceDir, createPrivateDir, removeStaleInstanceDirs } from "./state-dir.js";

/** Time that open connections get to finish their streams when the server stops. @default 2000 */
const CONNECTION_DRAIN_MS = 2_000;
/**
 * Largest request message the server reads: room for the largest code, input
 * and profile that validation accepts, with every environment entry full.
 * @default 16 MiB
 */
const MAX_REQUEST_MESSAGE_BYTES = 16 * 1024 * 1024;

/** A running Seatbelt server. */
export interface SeatbeltServer {
  /** Base URL for clients, such as "http://127.0.0.1:50051", or "https://..." with TLS. */
  readonly url: string;
  readonly port: number;
  readonly config: ServerConfig;
  readonly registry: SessionRegistry;
  readonly backend: BubblewrapBackend;
  readonly limitEnforcer: LimitEnforcer;
  /** Ready sandboxes for default sessions; undefined when the pool is off or no sandbox can start. */
  readonly warmPool: WarmPool | undefined;
  /** The Prometheus endpoint, when `metricsPort` is set. */
  readonly metrics: MetricsServer | undefined;
  /** Ends every session, removes every workspace and stops listening. */
  close(): Promise<void>;
}

async function readVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return manifest.version;
}

/**
 * Creates this instance's directories, with the runtime installed, after
 * removing those of instances that did not stop cleanly.
 */
async function prepareInstanceDirs(config: ServerConfig, log: Logger): Promise<{ instanceDir: string; runtimeDir: string; workspacesDir: string; emptyFile: string }> {
  const stale = await removeStaleInstanceDirs(config.stateDir).catch((error: unknown) => {
    log.error({ err: error, stateDir: config.stateDir }, "failed to remove the workspaces of servers that did not stop cleanly");
    return [];
  });
  if (stale.length > 0) {
    log.warn({ stateDir: config.stateDir, removed: stale }, "removed workspaces of servers that did not stop cleanly");
  }

  const instanceDir = await createInstanceDir(config.stateDir, config.sandboxGid);
  if (config.sandboxUid !== undefined) {
    await assertSearchableBy(instanceDir, config.sandboxUid, config.sandboxGid ?? config.sandboxUid);
  }
  const runtimeDir = join(instanceDir, "runtime");
  await installRuntime(runtimeDir, config.python);
  const workspacesDir = getWorkspacesDir(instanceDir);
  await createPrivateDir(workspacesDir, config.sandboxGid);
  // Bound over files that a profile hides; mode 000 makes reading it fail
  // instead of returning no data.
  const emptyFile = join(instanceDir, "hidden-file");
  await writeFile(emptyFile, "", { mode: 0o000 });
  return { instanceDir, runtimeDir, workspacesDir, emptyFile };
}

/**
 * Creates the warm pool for sessions whose request sets nothing, with the
 * options that such a request validates to, so that the pool's sandboxes
 * are launched exactly like the ones they stand in for.
 */
async function createWarmPool(
  config: ServerConfig,
  policy: SessionPolicy & ProfilePolicy,
  services: { backend: BubblewrapBackend; limitEnforcer: LimitEnforcer; logger: Logger; workspacesDir: string },
): Promise<WarmPool | undefined> {
  if (config.warmPoolSize === 0 || !services.backend.status.available) {
    return undefined;
  }
  return new WarmPool({
    ...services,
    size: config.warmPoolSize,
    defaultOptions: await resolveNewSessionOptions(create(CreateSessionRequestSchema), policy),
    sandboxUid: config.sandboxUid,
    sandboxGid: config.sandboxGid,
    startTimeoutMs: config.sessionStartTimeoutMs,
  });
}

/**
 * Starts a server: installs the runtime, checks the sandbox backend and
 * listens on one port that serves the gRPC, gRPC-Web and Connect protocols
 * over HTTP/2 and the latter two over HTTP/1.1 as well, with gRPC health
 * checking and server reflection next to the API.
 */
export async function startServer(input: ServerConfigInput = {}, logger?: Logger): Promise<SeatbeltServer> {
  const config = resolveConfig(input);
  const log = logger ?? createLogger(config.logLevel);
  const access = await prepareAccess(config, log);

  const { instanceDir, runtimeDir, workspacesDir, emptyFile } = await prepareInstanceDirs(config, log);
  const backend = await BubblewrapBackend.detect({
    bubblewrapPath: config.bubblewrapPath,
    runtimeDir,
    python: config.python,
    hiddenDirs: [config.stateDir],
    emptyFile,
    uid: config.sandboxUid,
    gid: config.sandboxGid,
  });
  if (!backend.status.available) {
    log.error({ reason: backend.status.reason }, "no sandbox backend is available; CreateSession will fail");
  } else if (backend.landlock.abi === 0) {
    log.warn({ reason: backend.landlock.reason }, "Landlock is not available; sandboxes rely on namespaces and mounts alone");
  }
  const limitEnforcer = await LimitEnforcer.create({
    instanceName: basename(instanceDir),
    cgroups: config.cgroups,
    policy: readLimitPolicy(config),
    uid: config.sandboxUid,
    gid: config.sandboxGid,
  });
  log.info({ limits: limitEnforcer.enforcement }, "resource limits");

  const securityLayers = [
    describeNamespaces(backend.status.available),
    describeSeccomp(backend.seccomp, backend.status.available),
    describeLandlock(backend.landlock, backend.status.available),
  ];

  const sessionPolicy = { ...config, resolveLimits: (limits: Limits | undefined) => limitEnforcer.resolve(limits) };
  const warmPool = await createWarmPool(config, sessionPolicy, { backend, limitEnforcer, logger: log, workspacesDir });
  const registry = new SessionRegistry({
    backend,
    logger: log,
    killGraceMs: config.killGraceMs,
    startTimeoutMs: config.sessionStartTimeoutMs,
    workspacesDir,
    sandboxUid: config.sandboxUid,
    sandboxGid: config.sandboxGid,
    finishedRetentionMs: config.finishedRetentionMs,
    retainedEventBytes: config.retainedEventBytes,
    maxSessions: config.maxSessions,
    sessionIdleTimeoutMs: config.sessionIdleTimeoutMs,
    sessionMaxLifetimeMs: config.sessionMaxLifetimeMs,
    limitEnforcer,
    warmPool,
  });
  const heartbeat = new Heartbeat(config.keepaliveIntervalMs);

  const [version, profiles] = await Promise.all([readVersion(), describeProfiles()]);
  let health: HealthStatus | undefined;
  const handler = connectNodeAdapter({
    // The logging interceptor comes first, so that it logs rejected tokens too.
    interceptors: [createRpcInterceptor(log), ...access.interceptors],
    // Refuses a larger message before reading it, so a huge request cannot
    // fill the server's memory before validation rejects it.
    readMaxBytes: MAX_REQUEST_MESSAGE_BYTES,
    routes(router) {
      router.service(SessionService, createSessionService(registry, backend, sessionPolicy));
      router.service(ExecutionService, createExecutionService(registry, config, heartbeat));
      router.service(ServerInfoService, createServerInfoService({ version, backend, profiles, defaultPython: config.python, config, limits: limitEnforcer.describe(), securityLayers, access: access.description }));
      health = registerOperationalServices(router);
    },
  });

  const admit =
    config.sandboxUid === undefined
      ? undefined
      : rejectSandboxPeers(config.sandboxUid, (ends) => log.warn(ends, "rejected a loopback connection from the sandbox user or from a socket without an owner"));
  const served =
    access.tenants === undefined
      ? handler
      : rejectUnauthenticatedEarly(handler, access.tenants, (procedure, message) => log.info({ procedure, code: "unauthenticated", message }, "rpc failed"));
  const listener = createDualProtocolListener(served, admit, access.tls);
  const { server } = listener;
  let metrics: MetricsServer | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
    if (config.metricsPort !== undefined) {
      metrics = await startMetricsServer(config.metricsHost, config.metricsPort);
      log.info({ url: metrics.url }, "metrics listening");
    }
  } catch (error) {
    // The listen error is the one to report: a failure to clean up is only
    // logged, so that it cannot hide why the server did not start.
    server.close();
    await registry.closeAll("shutdown");
    heartbeat.stop();
    await limitEnforcer.close().catch((cleanupError: unknown) => log.error({ err: cleanupError }, "failed to remove the server's cgroups"));
    await unmountWorkspacesBelow(instanceDir);
    await removeTree(instanceDir).catch((cleanupError: unknown) => log.error({ err: cleanupError, instanceDir }, "failed to remove the server's directory"));
    throw error;
  }
  // Started only once the port is ours, so that a server that cannot listen
  // has no pooled sandbox or workspace mount to remove.
  registry.start();
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  log.info({ host: config.host, port, backend: backend.status, ...access.description }, "server listening");

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      health?.setAll(HealthCheckResponse_ServingStatus.NOT_SERVING);
      await listener.close(CONNECTION_DRAIN_MS, async () => {
        await registry.closeAll("shutdown");
        heartbeat.stop();
        await limitEnforcer.close().catch((error: unknown) => log.error({ err: error }, "failed to remove the server's cgroups"));
      });
      await metrics?.close();
      await removeTree(instanceDir).catch((error: unknown) => log.error({ err: error, instanceDir }, "failed to remove the server's directory"));
      log.info("server stopped");
    })();
    return closing;
  };

  return { url: `${access.tls === undefined ? "http" : "https"}://${host}:${port}`, port, config, registry, backend, limitEnforcer, warmPool, metrics, close };
}
