import { BPF, type BpfInstruction, MAX_CONDITIONAL_JUMP, MAX_PROGRAM_INSTRUCTIONS } from "./bpf.js";

/** A conditional jump's destination: a label further on, or null for the next instruction. */
export type JumpTarget = string | null;

/** One step of a filter before jumps are resolved into instruction counts. */
export type FilterStep =
  | { readonly kind: "label"; readonly name: string }
  /** Loads the 32-bit word at an offset of struct seccomp_data into the accumulator. */
  | { readonly kind: "load"; readonly offset: number }
  /** Jumps on the accumulator: equal to, at least (unsigned), or sharing a bit with the value. */
  | { readonly kind: "jump"; readonly test: "eq" | "ge" | "set"; readonly value: number; readonly then: JumpTarget; readonly else: JumpTarget }
  | { readonly kind: "return"; readonly value: number };

const JUMP_CODES = { eq: BPF.JEQ, ge: BPF.JGE, set: BPF.JSET } as const;

/** Error for a filter that cannot be encoded, a bug of the filter's builder. */
export class FilterAssemblyError extends Error {}

/**
 * Turns steps into instructions, resolving each label into the number of
 * instructions a jump skips. Classic BPF jumps only forward, by at most
 * 255 instructions.
 * @throws FilterAssemblyError for an unknown or duplicate label, a jump backwards or too far, or a program that is too long.
 */
export function assemble(steps: readonly FilterStep[]): BpfInstruction[] {
  const labels = new Map<string, number>();
  let count = 0;
  for (const step of steps) {
    if (step.kind !== "label") {
      count += 1;
    } else if (labels.has(step.name)) {
      throw new FilterAssemblyError(`label ${step.name} is defined twice`);
    } else {
      labels.set(step.name, count);
    }
  }
  if (count > MAX_PROGRAM_INSTRUCTIONS) {
    throw new FilterAssemblyError(`the filter has ${count} instructions, more than the kernel's maximum of ${MAX_PROGRAM_INSTRUCTIONS}`);
  }

  const instructions: BpfInstruction[] = [];
  for (const step of steps) {
    const index = instructions.length;
    const skip = (target: JumpTarget) => resolveJump(labels, index, target);
    switch (step.kind) {
      case "label":
        break;
      case "load":
        instructions.push({ code: BPF.LD | BPF.W | BPF.ABS, jt: 0, jf: 0, k: step.offset });
        break;
      case "jump":
        instructions.push({ code: BPF.JMP | JUMP_CODES[step.test] | BPF.K, jt: skip(step.then), jf: skip(step.else), k: step.value >>> 0 });
        break;
      case "return":
        instructions.push({ code: BPF.RET | BPF.K, jt: 0, jf: 0, k: step.value >>> 0 });
        break;
    }
  }
  return instructions;
}

function resolveJump(labels: ReadonlyMap<string, number>, from: number, target: JumpTarget): number {
  if (target === null) {
    return 0;
  }
  const destination = labels.get(target);
  if (destination === undefined) {
    throw new FilterAssemblyError(`jump to undefined label ${target}`);
  }
  const skip = destination - (from + 1);
  if (skip < 0 || skip > MAX_CONDITIONAL_JUMP) {
    throw new FilterAssemblyError(`jump from instruction ${from} to label ${target} skips ${skip} instructions; classic BPF allows 0 to ${MAX_CONDITIONAL_JUMP}`);
  }
  return skip;
}
