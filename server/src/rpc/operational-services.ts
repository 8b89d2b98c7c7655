import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { HealthStatus, createHealthService } from "./health-service.js";
import { ReflectionIndex, createReflectionService } from "./reflection-service.js";

/**
 * Registers gRPC health checking and server reflection (v1 and v1alpha) for
 * every service already on the router, and for themselves. Call it after the
 * API services, so that services and methods added later show up in
 * `grpcurl list` and in health checks without changes here.
 */
export function registerOperationalServices(router: ConnectRouter): HealthStatus {
  const services = new Map<string, DescService>();
  for (const handler of router.handlers) {
    services.set(handler.service.typeName, handler.service);
  }
  for (const service of [Health, ServerReflectionV1, ServerReflectionV1Alpha]) {
    services.set(service.typeName, service);
  }

  const health = new HealthStatus([...services.values()]);
  const reflection = createReflectionService(new ReflectionIndex([...services.values()]));
  router.service(Health, createHealthService(health));
  router.service(ServerReflectionV1, reflection);
  router.service(ServerReflectionV1Alpha, reflection);
  return health;
}
