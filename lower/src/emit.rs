//! The eBPF of the lowered function, written as [`Insn`]s through the instruction [`Builder`]:
//! where values live, the prologue, the code of every reachable instruction (through [`Step`])
//! and the failure exit. Jumps go to [`Label`]s the builder resolves: one per bytecode
//! instruction of each instance, the failure exit, and fresh ones within a step.
//!
//! Registers: `r6` holds the context blob's address and `r7` its length for the whole run; the
//! operand stack's two lowest slots live in `r8` and `r9` (callee-saved, so they survive helper
//! calls) and the rest in the frame, after them the locals, the helper-call counter and an
//! 8-byte scratch slot for map keys. `r0`–`r5` are scratch.

use super::analyze::States;
use super::module::{Env, FnInfo, Inst};
use super::step::Step;
use super::text::ARG_SLOTS;
use super::{LowerError, LowerErrorKind};
use oxbpf_core::Insn;
use oxbpf_core::isa::{
    AluOp, AtomicOp, BuildError, Builder, ByteOrder, Cond, Imm64Kind, Label, Operand, Reg, Size,
    Width,
};
use oxbpf_helpers::standard::{self, HelperId};
use std::collections::HashMap;

/// Register `n`; only for the constants below, so a wrong number fails the build.
const fn reg(n: u8) -> Reg {
    match Reg::new(n) {
        Some(r) => r,
        None => panic!("no such register"),
    }
}

/// `r0`: scratch, helper results, the return code.
pub(crate) const R0: Reg = reg(0);
/// `r1`: scratch, the first helper argument.
pub(crate) const R1: Reg = reg(1);
/// `r2`: scratch, the second helper argument.
pub(crate) const R2: Reg = reg(2);
/// `r3`: scratch, the third helper argument.
pub(crate) const R3: Reg = reg(3);
/// `r4`: scratch, the fourth helper argument.
pub(crate) const R4: Reg = reg(4);
/// `r5`: scratch, the fifth helper argument.
pub(crate) const R5: Reg = reg(5);
/// `r8`: the operand stack's lowest slot.
const R8: Reg = reg(8);
/// `r9`: the operand stack's second slot.
const R9: Reg = reg(9);
/// `r10`: the frame pointer.
const R10: Reg = reg(10);

/// The context blob's address.
pub(crate) const R_BLOB: Reg = reg(6);
/// The context blob's length.
pub(crate) const R_LEN: Reg = reg(7);

/// The scratch registers, in the order stack moves take them.
pub(crate) const SCRATCH: [Reg; 6] = [R0, R1, R2, R3, R4, R5];

/// The longest prefix of a log line (`[ERROR] `).
pub(crate) const LOG_PREFIX_BYTES: usize = 8;

/// The largest data length the lowered code handles (its lengths are 32-bit numbers); a longer
/// context gets the hook's default.
const MAX_DATA: u64 = u32::MAX as u64;

/// A 64-bit ALU instruction: `dst = dst op src`.
pub(crate) const fn alu64(op: AluOp, dst: Reg, src: Operand) -> Insn {
    Insn::Alu {
        width: Width::W64,
        op,
        dst,
        src,
    }
}

/// Sign-extends the low 32 bits of `r` to 64 (`lsh r, 32; arsh r, 32`).
pub(crate) const fn sext32(r: Reg) -> [Insn; 2] {
    [
        alu64(AluOp::Lsh, r, Operand::Imm(32)),
        alu64(AluOp::Arsh, r, Operand::Imm(32)),
    ]
}

/// Where a value lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Loc {
    /// Operand-stack slot at this depth (0 = bottom).
    Depth(usize),
    /// A local.
    Local(u16),
    /// The slot of a live string's integer (see [`text`](super::text)).
    Arg(u8),
    /// Element 0 or 1 of a `[lo, hi]` array literal.
    Pair(u16, u8),
    /// The clock, read as the run starts (`nowNs`).
    Clock,
}

impl Loc {
    pub(crate) fn depth(d: usize) -> Loc {
        Loc::Depth(d)
    }
}

/// A register or a frame slot.
enum Place {
    Reg(Reg),
    Frame(i64),
}

/// The code being written.
pub(crate) struct Code {
    b: Builder,
    /// Operand-stack slots in the frame (depths 2 and up).
    frame_depths: usize,
    locals: usize,
    /// Array literals.
    pairs: usize,
    /// Bytes for the format strings of log calls, at the bottom of the frame.
    format_bytes: usize,
    /// The label of each bytecode instruction, by instance and byte offset.
    at: HashMap<(u16, u32), Label>,
    /// The failure exit: the hook's default return.
    fail: Label,
    /// The instance whose code is being written.
    inst: u16,
    /// A number that did not fit the field it was written to (a lowering error).
    overflow: Option<i64>,
}

/// 8-byte slots after the locals, before the string slots: the helper-call counter, the key
/// scratch slot and the clock.
const FIXED_SLOTS: usize = 3;

impl Code {
    /// The frame offset of the `n`th 8-byte slot after the operand stack and locals (from 1).
    fn slot(&self, n: usize) -> i64 {
        -8 * (self.frame_depths + self.locals + n) as i64
    }

    fn place(&self, loc: Loc) -> Place {
        let strings = usize::from(ARG_SLOTS);
        match loc {
            Loc::Depth(0) => Place::Reg(R8),
            Loc::Depth(1) => Place::Reg(R9),
            Loc::Depth(d) => Place::Frame(-8 * (d as i64 - 1)),
            Loc::Local(l) => Place::Frame(-8 * (self.frame_depths as i64 + i64::from(l) + 1)),
            Loc::Clock => Place::Frame(self.slot(3)),
            Loc::Arg(k) => Place::Frame(self.slot(FIXED_SLOTS + 1 + usize::from(k))),
            Loc::Pair(p, e) => Place::Frame(
                self.slot(FIXED_SLOTS + strings + 1 + 2 * usize::from(p) + usize::from(e)),
            ),
        }
    }

    /// Bytes of the frame in use.
    fn frame_bytes(&self) -> usize {
        8 * (self.frame_depths
            + self.locals
            + FIXED_SLOTS
            + usize::from(ARG_SLOTS)
            + 2 * self.pairs)
            + self.format_bytes
    }

    /// The frame offset of the format area (its lowest address).
    pub(crate) fn format_area(&self) -> i64 {
        -(self.frame_bytes() as i64)
    }

    fn counter(&self) -> i64 {
        self.slot(1)
    }

    fn key(&self) -> i64 {
        self.slot(2)
    }

    /// `v` as a 32-bit immediate; a larger number is recorded, and refused when the code is
    /// finished.
    fn imm(&mut self, v: i64) -> i32 {
        i32::try_from(v).unwrap_or_else(|_| {
            self.overflow.get_or_insert(v);
            0
        })
    }

    /// `v` as a 16-bit memory offset (refused as [`imm`](Self::imm) when it does not fit).
    fn off(&mut self, v: i64) -> i16 {
        i16::try_from(v).unwrap_or_else(|_| {
            self.overflow.get_or_insert(v);
            0
        })
    }

    /// Appends one instruction.
    pub(crate) fn insn(&mut self, insn: Insn) {
        self.b.emit(insn);
    }

    /// `dst op= src` (64-bit).
    pub(crate) fn alu(&mut self, op: AluOp, dst: Reg, src: Reg) {
        self.insn(alu64(op, dst, Operand::Reg(src)));
    }

    /// `dst op= v` (64-bit).
    pub(crate) fn alu_k(&mut self, op: AluOp, dst: Reg, v: i64) {
        let v = self.imm(v);
        self.insn(alu64(op, dst, Operand::Imm(v)));
    }

    /// `mov dst, src` (64-bit).
    pub(crate) fn mov(&mut self, dst: Reg, src: Reg) {
        self.alu(AluOp::Mov, dst, src);
    }

    /// `mov32 dst, src`: the low 32 bits, zero-extended.
    pub(crate) fn mov32(&mut self, dst: Reg, src: Reg) {
        self.insn(Insn::Alu {
            width: Width::W32,
            op: AluOp::Mov,
            dst,
            src: Operand::Reg(src),
        });
    }

    /// `mov32 dst, v`.
    fn mov32_k(&mut self, dst: Reg, v: i32) {
        self.insn(Insn::Alu {
            width: Width::W32,
            op: AluOp::Mov,
            dst,
            src: Operand::Imm(v),
        });
    }

    /// `le<bits> dst`: the low `bits` of `dst`, read as little-endian.
    pub(crate) fn le(&mut self, bits: u8, dst: Reg) {
        self.insn(Insn::Endian {
            order: ByteOrder::Le,
            bits,
            dst,
        });
    }

    /// `ldx<size> dst, [src+off]`.
    pub(crate) fn ldx(&mut self, size: Size, dst: Reg, src: Reg, off: i64) {
        let off = self.off(off);
        self.insn(Insn::Load {
            size,
            signed: false,
            dst,
            src,
            off,
        });
    }

    /// `stx<size> [dst+off], src`.
    pub(crate) fn stx(&mut self, size: Size, dst: Reg, off: i64, src: Reg) {
        let off = self.off(off);
        self.insn(Insn::Store {
            size,
            dst,
            off,
            src: Operand::Reg(src),
        });
    }

    /// `st<size> [dst+off], v`.
    pub(crate) fn st_k(&mut self, size: Size, dst: Reg, off: i64, v: i64) {
        let (off, v) = (self.off(off), self.imm(v));
        self.insn(Insn::Store {
            size,
            dst,
            off,
            src: Operand::Imm(v),
        });
    }

    /// `lock add [dst+off], src` (64-bit).
    pub(crate) fn lock_add(&mut self, dst: Reg, off: i64, src: Reg) {
        let off = self.off(off);
        self.insn(Insn::Atomic {
            size: Size::DW,
            op: AtomicOp::Add,
            dst,
            src,
            off,
        });
    }

    /// `lddw dst, v`.
    pub(crate) fn lddw(&mut self, dst: Reg, v: u64) {
        self.insn(Insn::LoadImm64 {
            dst,
            kind: Imm64Kind::Value,
            imm: v,
        });
    }

    /// `lddw dst, map_fd m`: the program's map `m`.
    pub(crate) fn map_fd(&mut self, dst: Reg, m: u32) {
        self.insn(Insn::LoadImm64 {
            dst,
            kind: Imm64Kind::MapFd,
            imm: u64::from(m),
        });
    }

    /// `lddw dst, map_value m, off`: the address of byte `off` of map `m`'s value.
    pub(crate) fn map_value(&mut self, dst: Reg, m: u32, off: u32) {
        self.insn(Insn::LoadImm64 {
            dst,
            kind: Imm64Kind::MapValue,
            imm: u64::from(m) | (u64::from(off) << 32),
        });
    }

    /// `if dst cond src goto l` (64-bit, signed or not as `cond` says).
    pub(crate) fn jump(&mut self, cond: Cond, dst: Reg, src: Operand, l: Label) {
        self.b.jump(Width::W64, cond, dst, src, l);
    }

    /// `if dst cond src goto l`, `src` a register.
    pub(crate) fn jump_x(&mut self, cond: Cond, dst: Reg, src: Reg, l: Label) {
        self.jump(cond, dst, Operand::Reg(src), l);
    }

    /// `if dst cond v goto l`.
    pub(crate) fn jump_k(&mut self, cond: Cond, dst: Reg, v: i64, l: Label) {
        let v = self.imm(v);
        self.jump(cond, dst, Operand::Imm(v), l);
    }

    /// `if dst cond v` fail (the hook's default return).
    pub(crate) fn fail_if_k(&mut self, cond: Cond, dst: Reg, v: i64) {
        self.jump_k(cond, dst, v, self.fail);
    }

    /// `if dst cond src` fail (the hook's default return).
    pub(crate) fn fail_if_x(&mut self, cond: Cond, dst: Reg, src: Reg) {
        self.jump_x(cond, dst, src, self.fail);
    }

    /// `ja l`.
    pub(crate) fn ja(&mut self, l: Label) {
        self.b.ja(l);
    }

    /// Calls standard helper `h`.
    pub(crate) fn call(&mut self, h: HelperId) {
        self.insn(Insn::Call { helper: h.id });
    }

    /// A new label.
    pub(crate) fn label(&mut self) -> Label {
        self.b.label()
    }

    /// Binds `l` here.
    pub(crate) fn bind(&mut self, l: Label) {
        self.b.bind(l);
    }

    /// The label of the bytecode instruction at `pc` of instance `n`.
    fn label_at(&mut self, n: u16, pc: u32) -> Label {
        match self.at.get(&(n, pc)) {
            Some(&l) => l,
            None => {
                let l = self.b.label();
                self.at.insert((n, pc), l);
                l
            }
        }
    }

    /// The label of the bytecode instruction at `pc` of the instance being written.
    pub(crate) fn label_of(&mut self, pc: u32) -> Label {
        self.label_at(self.inst, pc)
    }

    /// Ends a result in `r0`: from here, jumps to `l_end`; at `l_zero`, `r0` is 0.
    pub(crate) fn else_zero(&mut self, l_zero: Label, l_end: Label) {
        self.ja(l_end);
        self.bind(l_zero);
        self.alu_k(AluOp::Mov, R0, 0);
        self.bind(l_end);
    }

    /// Jumps to the instruction at `pc` of the instance being written.
    pub(crate) fn jump_to(&mut self, pc: u32) {
        let l = self.label_of(pc);
        self.ja(l);
    }

    /// Jumps to the instruction at `pc` of instance `n`.
    pub(crate) fn goto(&mut self, n: u16, pc: u32) {
        let l = self.label_at(n, pc);
        self.ja(l);
    }

    /// The hook's default return.
    pub(crate) fn fail(&mut self) {
        self.ja(self.fail);
    }

    pub(crate) fn load(&mut self, reg: Reg, loc: Loc) {
        match self.place(loc) {
            Place::Reg(r) => self.mov(reg, r),
            Place::Frame(o) => self.ldx(Size::DW, reg, R10, o),
        }
    }

    pub(crate) fn store(&mut self, loc: Loc, reg: Reg) {
        match self.place(loc) {
            Place::Reg(r) => self.mov(r, reg),
            Place::Frame(o) => self.stx(Size::DW, R10, o, reg),
        }
    }

    pub(crate) fn mov_const(&mut self, reg: Reg, c: i64) {
        if i32::try_from(c).is_ok() {
            self.alu_k(AluOp::Mov, reg, c);
        } else {
            self.lddw(reg, c as u64);
        }
    }

    pub(crate) fn store_const(&mut self, loc: Loc, c: i64) {
        match (self.place(loc), i32::try_from(c)) {
            (Place::Frame(o), Ok(c)) => self.st_k(Size::DW, R10, o, i64::from(c)),
            (Place::Reg(r), _) => self.mov_const(r, c),
            (Place::Frame(_), Err(_)) => {
                self.mov_const(R0, c);
                self.store(loc, R0);
            }
        }
    }

    /// Returns the constant `c` (already ToInt32, as an unsigned 32-bit `r0`).
    pub(crate) fn ret_const(&mut self, c: u32) {
        self.mov32_k(R0, c as i32);
        self.insn(Insn::Exit);
    }

    /// Returns ToInt32 of the integer in `r0`, as an unsigned 32-bit `r0`.
    pub(crate) fn ret_reg0(&mut self) {
        self.mov32(R0, R0);
        self.insn(Insn::Exit);
    }

    /// Counts a helper call against the budget of `max` calls (failing beyond it).
    pub(crate) fn count_helper(&mut self, max: u32) {
        let c = self.counter();
        self.ldx(Size::DW, R0, R10, c);
        self.alu_k(AluOp::Add, R0, 1);
        self.stx(Size::DW, R10, c, R0);
        self.mov_const(R1, i64::from(max));
        self.fail_if_x(Cond::Gt, R0, R1);
    }

    /// Stores the 32-bit map index in `reg` to the key slot.
    pub(crate) fn store_key(&mut self, reg: Reg) {
        let k = self.key();
        self.stx(Size::W, R10, k, reg);
    }

    /// The key slot's address into `reg`.
    pub(crate) fn key_address(&mut self, reg: Reg) {
        let k = self.key();
        self.mov(reg, R10);
        self.alu_k(AluOp::Add, reg, k);
    }

    /// Calls `trace_printk` with the NUL-terminated format `fmt`, written to the format area,
    /// and the integers in string slots `args` (at most three).
    pub(crate) fn trace_printk(&mut self, fmt: &[u8], args: &[u8]) {
        let area = self.format_area();
        for (i, chunk) in fmt.chunks(8).enumerate() {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.mov_const(R1, i64::from_le_bytes(b));
            self.stx(Size::DW, R10, area + 8 * i as i64, R1);
        }
        self.mov(R1, R10);
        self.alu_k(AluOp::Add, R1, area);
        self.alu_k(AluOp::Mov, R2, fmt.len() as i64);
        for (&k, r) in args.iter().zip([R3, R4, R5]) {
            self.load(r, Loc::Arg(k));
        }
        self.call(standard::TRACE_PRINTK);
    }

    /// The 32-bit number in the key slot into `reg`.
    pub(crate) fn load_key(&mut self, reg: Reg) {
        let k = self.key();
        self.ldx(Size::W, reg, R10, k);
    }

    /// Copies `n` bytes from `[r0]` to `[r1]` (through `r2`).
    pub(crate) fn copy(&mut self, n: u32) {
        self.copy_to(n, 0);
    }

    /// Copies `n` bytes from `[r0]` to `[r1 + at]` (through `r2`).
    pub(crate) fn copy_to(&mut self, n: u32, at: u32) {
        let mut i = 0;
        for size in [Size::DW, Size::W, Size::H, Size::B] {
            let w = size.bytes() as u32;
            while n - i >= w {
                self.ldx(size, R2, R0, i64::from(i));
                self.stx(size, R1, i64::from(at + i), R2);
                i += w;
            }
        }
    }
}

/// Writes the program: prologue, every reachable instruction of every instance, the failure
/// exit.
pub(crate) fn run(env: &Env<'_>, states: &States) -> Result<Vec<Insn>, LowerError> {
    let insts: Vec<_> = (0..env.inst_count() as u16).map(|n| env.inst(n)).collect();
    let extent = |f: &dyn Fn(&Inst, &FnInfo<'_>) -> usize| {
        insts
            .iter()
            .map(|x| f(x, &env.funcs[x.func]))
            .max()
            .unwrap_or(0)
    };
    let mut b = Builder::new();
    let fail = b.label();
    let mut a = Code {
        b,
        frame_depths: extent(&|x, fi| x.stack_base + fi.f.stack_size as usize).saturating_sub(2),
        locals: extent(&|x, fi| x.local_base + fi.f.var_count as usize),
        pairs: extent(&|x, fi| x.pair_base + fi.pair_sites.len()),
        format_bytes: env
            .strings
            .max_format_len(LOG_PREFIX_BYTES)
            .next_multiple_of(8),
        at: HashMap::new(),
        fail,
        inst: 0,
        overflow: None,
    };
    let frame = a.frame_bytes();
    if frame > 512 {
        let why = format!(
            "needs a {frame}-byte frame (stack, locals, arrays and log formats); eBPF has 512"
        );
        return Err(LowerError::new(&env.name, None, why).of(LowerErrorKind::Limit));
    }
    let h = i64::from(env.header);
    a.mov(R_BLOB, R1);
    a.mov(R_LEN, R2);
    a.fail_if_k(Cond::Lt, R_LEN, h);
    a.lddw(R0, MAX_DATA + h as u64);
    a.fail_if_x(Cond::Gt, R_LEN, R0);
    let c = a.counter();
    a.st_k(Size::DW, R10, c, 0);
    if env.uses_clock {
        // `nowNs` is constant within a run, as on QuickJS.
        a.call(standard::KTIME_GET_NS);
        a.store(Loc::Clock, R0);
    }
    for (n, inst) in insts.iter().enumerate() {
        let fi = &env.funcs[inst.func];
        let code = &fi.f.code;
        let n = n as u16;
        a.inst = n;
        let states = &states[usize::from(n)];
        let mut skip = false;
        for (i, ins) in code.iter().enumerate() {
            let l = a.label_of(ins.pc);
            a.bind(l);
            if std::mem::take(&mut skip) {
                continue;
            }
            let Some(st) = &states[i] else {
                continue;
            };
            let fuse_next = code
                .get(i + 1)
                .filter(|x| !fi.targets.contains(&x.pc) && states[i + 1].is_some());
            let mut step = Step {
                env,
                n,
                inst: *inst,
                fi,
                ins,
                idx: i,
                fuse_next,
                code: Some(&mut a),
                st: st.clone(),
                fused: false,
            };
            let next = step.run()?;
            skip = step.fused;
            if next.fall.is_some() && i + 1 == code.len() {
                return Err(LowerError::new(
                    &fi.name,
                    Some(ins),
                    "falls off the end of the code",
                ));
            }
        }
    }
    a.bind(a.fail);
    a.mov32_k(R0, env.default_rc as i32);
    a.insn(Insn::Exit);
    let refusal = |kind, why: String| LowerError::new(&env.name, None, why).of(kind);
    if let Some(v) = a.overflow {
        let why = format!("internal error: {v} does not fit its instruction field");
        return Err(refusal(LowerErrorKind::Internal, why));
    }
    a.b.finish().map_err(|e| match e {
        BuildError::OutOfRange { .. } => refusal(
            LowerErrorKind::Limit,
            format!("too large for eBPF's jumps: {e}"),
        ),
        e => refusal(LowerErrorKind::Internal, format!("internal error: {e}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer with an empty frame (no stack slots beyond the registers, no locals).
    fn code() -> Code {
        let mut b = Builder::new();
        let fail = b.label();
        Code {
            b,
            frame_depths: 0,
            locals: 0,
            pairs: 0,
            format_bytes: 0,
            at: HashMap::new(),
            fail,
            inst: 0,
            overflow: None,
        }
    }

    /// What `f` writes, as text; the failure exit bound after it.
    fn written(f: impl FnOnce(&mut Code)) -> Vec<String> {
        let mut a = code();
        f(&mut a);
        a.bind(a.fail);
        assert_eq!(a.overflow, None);
        crate::listing(&a.b.finish().unwrap())
    }

    #[test]
    fn copies_take_the_widest_accesses_first() {
        assert_eq!(
            written(|a| a.copy_to(15, 8)),
            [
                "ldxdw %r2, [%r0+0]",
                "stxdw [%r1+8], %r2",
                "ldxw %r2, [%r0+8]",
                "stxw [%r1+16], %r2",
                "ldxh %r2, [%r0+12]",
                "stxh [%r1+20], %r2",
                "ldxb %r2, [%r0+14]",
                "stxb [%r1+22], %r2",
            ]
        );
    }

    #[test]
    fn values_live_in_r8_r9_then_the_frame() {
        assert_eq!(
            written(|a| {
                a.store(Loc::depth(0), R0);
                a.store(Loc::depth(1), R1);
                a.store(Loc::depth(2), R2);
                a.load(R3, Loc::depth(3));
                a.store_const(Loc::depth(0), 1 << 40);
                a.store_const(Loc::depth(2), -5);
                a.store_const(Loc::depth(3), 1 << 40);
            }),
            [
                "mov %r8, %r0",
                "mov %r9, %r1",
                "stxdw [%r10-8], %r2",
                "ldxdw %r3, [%r10-16]",
                "lddw %r8, 0x10000000000",
                "stdw [%r10-8], -5",
                "lddw %r0, 0x10000000000",
                "stxdw [%r10-16], %r0",
            ]
        );
    }

    #[test]
    fn a_helper_call_counts_against_the_budget_and_fails_beyond_it() {
        assert_eq!(
            written(|a| {
                a.count_helper(100);
                a.call(standard::MAP_LOOKUP_ELEM);
            }),
            [
                // The counter is the first slot after the (empty) stack and locals.
                "ldxdw %r0, [%r10-8]",
                "add %r0, 1",
                "stxdw [%r10-8], %r0",
                "mov %r1, 100",
                "jgt %r0, %r1, +1",
                "call 1",
            ]
        );
    }

    #[test]
    fn labels_of_bytecode_instructions_are_per_instance() {
        let text = written(|a| {
            a.goto(1, 4);
            a.jump_to(4);
            let l = a.label_of(4);
            a.bind(l);
            a.insn(Insn::Exit);
            a.inst = 1;
            let l = a.label_of(4);
            a.bind(l);
            a.insn(Insn::Exit);
        });
        assert_eq!(text, ["ja +2", "ja +0", "exit", "exit"]);
    }

    #[test]
    fn numbers_too_wide_for_their_field_are_refused() {
        let mut a = code();
        a.ldx(Size::B, R0, R1, 40_000);
        assert_eq!(a.overflow, Some(40_000));
        let mut a = code();
        a.alu_k(AluOp::Add, R0, 1 << 32);
        a.alu_k(AluOp::Add, R0, -1);
        assert_eq!(a.overflow, Some(1 << 32));
    }
}
