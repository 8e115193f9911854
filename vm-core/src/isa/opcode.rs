//! Raw opcode numbers (RFC 9669 §3–§5). Private to the decoder and encoder: nothing else in the
//! workspace matches on opcode bytes.

/// Instruction classes (low 3 bits).
pub(super) const CLASS_LD: u8 = 0x00;
pub(super) const CLASS_LDX: u8 = 0x01;
pub(super) const CLASS_ST: u8 = 0x02;
pub(super) const CLASS_STX: u8 = 0x03;
pub(super) const CLASS_ALU: u8 = 0x04;
pub(super) const CLASS_JMP: u8 = 0x05;
pub(super) const CLASS_JMP32: u8 = 0x06;
pub(super) const CLASS_ALU64: u8 = 0x07;

/// Source bit of ALU and jump opcodes: register operand.
pub(super) const SRC_X: u8 = 0x08;

/// ALU operation codes (high nibble).
pub(super) const ALU_ADD: u8 = 0x00;
pub(super) const ALU_SUB: u8 = 0x10;
pub(super) const ALU_MUL: u8 = 0x20;
pub(super) const ALU_DIV: u8 = 0x30;
pub(super) const ALU_OR: u8 = 0x40;
pub(super) const ALU_AND: u8 = 0x50;
pub(super) const ALU_LSH: u8 = 0x60;
pub(super) const ALU_RSH: u8 = 0x70;
pub(super) const ALU_NEG: u8 = 0x80;
pub(super) const ALU_MOD: u8 = 0x90;
pub(super) const ALU_XOR: u8 = 0xa0;
pub(super) const ALU_MOV: u8 = 0xb0;
pub(super) const ALU_ARSH: u8 = 0xc0;
pub(super) const ALU_END: u8 = 0xd0;

/// Jump operation codes (high nibble).
pub(super) const JMP_JA: u8 = 0x00;
pub(super) const JMP_JEQ: u8 = 0x10;
pub(super) const JMP_JGT: u8 = 0x20;
pub(super) const JMP_JGE: u8 = 0x30;
pub(super) const JMP_JSET: u8 = 0x40;
pub(super) const JMP_JNE: u8 = 0x50;
pub(super) const JMP_JSGT: u8 = 0x60;
pub(super) const JMP_JSGE: u8 = 0x70;
pub(super) const JMP_CALL: u8 = 0x80;
pub(super) const JMP_EXIT: u8 = 0x90;
pub(super) const JMP_JLT: u8 = 0xa0;
pub(super) const JMP_JLE: u8 = 0xb0;
pub(super) const JMP_JSLT: u8 = 0xc0;
pub(super) const JMP_JSLE: u8 = 0xd0;

/// Load/store modes (top 3 bits) and sizes (bits 3–4).
pub(super) const MODE_IMM: u8 = 0x00;
pub(super) const MODE_ABS: u8 = 0x20;
pub(super) const MODE_IND: u8 = 0x40;
pub(super) const MODE_MEM: u8 = 0x60;
pub(super) const MODE_MEMSX: u8 = 0x80;
pub(super) const MODE_ATOMIC: u8 = 0xc0;
pub(super) const SIZE_W: u8 = 0x00;
pub(super) const SIZE_H: u8 = 0x08;
pub(super) const SIZE_B: u8 = 0x10;
pub(super) const SIZE_DW: u8 = 0x18;

/// Atomic operation codes (in `imm`).
pub(super) const ATOMIC_ADD: i32 = 0x00;
pub(super) const ATOMIC_OR: i32 = 0x40;
pub(super) const ATOMIC_AND: i32 = 0x50;
pub(super) const ATOMIC_XOR: i32 = 0xa0;
pub(super) const ATOMIC_FETCH: i32 = 0x01;
pub(super) const ATOMIC_XCHG: i32 = 0xe0 | ATOMIC_FETCH;
pub(super) const ATOMIC_CMPXCHG: i32 = 0xf0 | ATOMIC_FETCH;

/// `src` values of the call instruction.
pub(super) const CALL_HELPER: u8 = 0;
pub(super) const CALL_LOCAL: u8 = 1;
pub(super) const CALL_RUNTIME: u8 = 2;
