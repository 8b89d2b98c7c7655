/**
 * Classic BPF, the instruction set of seccomp filters, as far as the
 * filter uses it. Values are those of linux/bpf_common.h and
 * linux/filter.h.
 */

/** One instruction, laid out as struct sock_filter. */
export interface BpfInstruction {
  /** Opcode: instruction class, size, mode or operation, and source. */
  readonly code: number;
  /** Instructions to skip when a conditional jump's test holds. */
  readonly jt: number;
  /** Instructions to skip when it does not. */
  readonly jf: number;
  /** Operand: an offset into the data, a constant or a return value. */
  readonly k: number;
}

/** Opcode parts from linux/bpf_common.h. */
export const BPF = {
  LD: 0x00,
  JMP: 0x05,
  RET: 0x06,
  W: 0x00,
  ABS: 0x20,
  JEQ: 0x10,
  JGE: 0x30,
  JSET: 0x40,
  K: 0x00,
} as const;

/** Largest number of instructions that a conditional jump can skip, since jt and jf are one byte each. */
export const MAX_CONDITIONAL_JUMP = 255;

/** Largest program that the kernel loads (BPF_MAXINSNS). */
export const MAX_PROGRAM_INSTRUCTIONS = 4096;

/** Size of struct sock_filter. */
export const INSTRUCTION_BYTES = 8;

/**
 * Encodes a program as the array of struct sock_filter that
 * prctl(PR_SET_SECCOMP) and bubblewrap's --seccomp read: u16 code, u8 jt,
 * u8 jf, u32 k, in little-endian order, the byte order of x86_64 and
 * aarch64 Linux.
 */
export function encodeProgram(instructions: readonly BpfInstruction[]): Uint8Array {
  const bytes = new Uint8Array(instructions.length * INSTRUCTION_BYTES);
  const view = new DataView(bytes.buffer);
  instructions.forEach((instruction, index) => {
    const offset = index * INSTRUCTION_BYTES;
    view.setUint16(offset, instruction.code, true);
    view.setUint8(offset + 2, instruction.jt);
    view.setUint8(offset + 3, instruction.jf);
    view.setUint32(offset + 4, instruction.k >>> 0, true);
  });
  return bytes;
}
