import { SECCOMP_ARCHITECTURES } from "./architectures.js";
import { encodeProgram } from "./bpf.js";
import { buildSeccompFilter } from "./build-filter.js";

/** The seccomp filter of this host's sandboxes, or why there is none. */
export type SeccompFilter =
  | {
      readonly active: true;
      /** Kernel name of the architecture that the filter is built for. */
      readonly architecture: string;
      /** The program as bubblewrap's --seccomp reads it: an array of struct sock_filter. */
      readonly program: Uint8Array;
    }
  | { readonly active: false; readonly reason: string };

/**
 * Builds the filter for a Node architecture name (process.arch). On an
 * architecture without system call tables, sandboxes start without a
 * filter and the layer is reported inactive with this reason: the
 * namespaces still contain them, and rejecting every session there would
 * leave nothing to run.
 */
export function getSeccompFilter(nodeArch: string = process.arch): SeccompFilter {
  const architecture = SECCOMP_ARCHITECTURES[nodeArch];
  if (architecture === undefined) {
    const supported = Object.keys(SECCOMP_ARCHITECTURES).join(" and ");
    return { active: false, reason: `the server has no seccomp filter for the ${nodeArch} architecture (only for ${supported}), so sandboxes start without one` };
  }
  return { active: true, architecture: architecture.name, program: encodeProgram(buildSeccompFilter(architecture)) };
}
