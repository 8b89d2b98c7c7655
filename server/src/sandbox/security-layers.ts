/** One containment layer of the sandboxes, as GetServerInfo reports it. */
export interface SecurityLayerDescription {
  readonly name: string;
  readonly active: boolean;
  readonly detail: string;
  /** Version of the kernel interface that the layer uses; 0 when none applies. */
  readonly abiVersion: number;
}

/** Describes the namespace layer, which every bubblewrap sandbox has when the backend is available. */
export function describeNamespaces(backendAvailable: boolean): SecurityLayerDescription {
  return {
    name: "namespaces",
    active: backendAvailable,
    detail: backendAvailable
      ? "bubblewrap gives each sandbox its own user, mount, pid, ipc, uts, cgroup and (unless the profile allows network) network namespace, with no capabilities and no nested user namespaces"
      : "bubblewrap cannot start sandboxes here, so no session can be created",
    abiVersion: 0,
  };
}
