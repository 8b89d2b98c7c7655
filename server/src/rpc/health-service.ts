import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";

/**
 * Serving status of the server ("") and of each service it registered, with
 * listeners for Watch. Every service is SERVING from the start and becomes
 * NOT_SERVING when the server starts to shut down.
 */
export class HealthStatus {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly listeners = new Set<() => void>();

  /** Registers the server as a whole and each service by its fully qualified name. */
  constructor(services: readonly DescService[]) {
    this.statuses.set("", ServingStatus.SERVING);
    for (const service of services) {
      this.statuses.set(service.typeName, ServingStatus.SERVING);
    }
  }

  /** Returns a service's status, or undefined for a name the server does not serve. */
  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** Sets every registered service, and the server, to one status. */
  setAll(status: ServingStatus): void {
    for (const service of this.statuses.keys()) {
      this.statuses.set(service, status);
    }
    for (const listener of this.listeners) {
      listener();
    }
  }

  /** Resolves at the next status change, or when the signal aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.listeners.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.listeners.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

/** Handlers of grpc.health.v1.Health, the standard gRPC health protocol. */
export function createHealthService(health: HealthStatus): ServiceImpl<typeof Health> {
  return {
    check(request) {
      const status = health.get(request.service);
      if (status === undefined) {
        throw new ConnectError(`service ${JSON.stringify(request.service)} is not served here; ask for "" to check the whole server`, Code.NotFound);
      }
      return { status };
    },

    async *watch(request, context) {
      // The protocol asks Watch to report an unknown service rather than
      // fail, because the service may be registered later.
      let last: ServingStatus | undefined;
      while (!context.signal.aborted) {
        const status = health.get(request.service) ?? ServingStatus.SERVICE_UNKNOWN;
        if (status !== last) {
          last = status;
          yield { status };
        }
        await health.changed(context.signal);
      }
    },
  };
}
