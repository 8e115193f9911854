//! Loads, stores, atomics and legacy packet loads. Every access goes through
//! [`check_access`](FnTranslator::check_access) (in `bounds.rs`) first, then is a plain host
//! access at the program's address; atomics are Cranelift's atomic instructions.

use super::FnTranslator;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{AtomicRmwOp, InstBuilder, MemFlagsData, Type, Value, types};
use oxbpf_core::isa::{AtomicOp, Operand, PacketMode, Size};
use oxbpf_core::{Access, Reg, TrapCode};

/// Flags of program memory accesses: may be unaligned, and (behind a check) never fault.
const MEM: MemFlagsData = MemFlagsData::new();

fn ty_of(size: Size) -> Type {
    match size {
        Size::B => types::I8,
        Size::H => types::I16,
        Size::W => types::I32,
        Size::DW => types::I64,
    }
}

impl FnTranslator<'_, '_> {
    fn address(&mut self, base: Reg, off: i16) -> Value {
        let b = self.get(base);
        if off == 0 {
            b
        } else {
            self.b.ins().iadd_imm_s(b, i64::from(off))
        }
    }

    pub(super) fn load(
        &mut self,
        pc: usize,
        size: Size,
        signed: bool,
        dst: Reg,
        src: Reg,
        off: i16,
    ) {
        let addr = self.address(src, off);
        self.check_access(pc, src, off, addr, size.bytes() as u32, Access::Read);
        let ins = self.b.ins();
        let v = match (size, signed) {
            (Size::DW, _) => ins.load(types::I64, MEM, addr, 0),
            (Size::B, false) => ins.uload8(types::I64, MEM, addr, 0),
            (Size::H, false) => ins.uload16(types::I64, MEM, addr, 0),
            (Size::W, false) => ins.uload32(MEM, addr, 0),
            (Size::B, true) => ins.sload8(types::I64, MEM, addr, 0),
            (Size::H, true) => ins.sload16(types::I64, MEM, addr, 0),
            (Size::W, true) => ins.sload32(MEM, addr, 0),
        };
        self.set(dst, v);
    }

    pub(super) fn store(&mut self, pc: usize, size: Size, dst: Reg, off: i16, src: Operand) {
        let v = match src {
            Operand::Reg(r) => self.get(r),
            Operand::Imm(i) => self.b.ins().iconst(types::I64, i64::from(i)),
        };
        let addr = self.address(dst, off);
        self.check_access(pc, dst, off, addr, size.bytes() as u32, Access::Write);
        let ins = self.b.ins();
        match size {
            Size::B => ins.istore8(MEM, v, addr, 0),
            Size::H => ins.istore16(MEM, v, addr, 0),
            Size::W => ins.istore32(MEM, v, addr, 0),
            Size::DW => ins.store(MEM, v, addr, 0),
        };
    }

    pub(super) fn atomic(
        &mut self,
        pc: usize,
        size: Size,
        op: AtomicOp,
        dst: Reg,
        src: Reg,
        off: i16,
    ) {
        let bytes = size.bytes() as u32;
        let ty = ty_of(size);
        let addr = self.address(dst, off);
        self.check_access(pc, dst, off, addr, bytes, Access::Write);
        let misaligned = self.b.ins().band_imm_s(addr, i64::from(bytes) - 1);
        self.trap_if(misaligned, TrapCode::UnalignedAtomic, pc, Some(addr), 0);

        let narrow = |t: &mut Self, v: Value| {
            if ty == types::I64 {
                v
            } else {
                t.b.ins().ireduce(ty, v)
            }
        };
        let widen = |t: &mut Self, v: Value| {
            if ty == types::I64 {
                v
            } else {
                t.b.ins().uextend(types::I64, v)
            }
        };
        let flags = MemFlagsData::trusted();
        let s = self.get(src);
        let s = narrow(self, s);
        if op == AtomicOp::CmpXchg {
            let expected = self.get(Reg::R0);
            let expected = narrow(self, expected);
            let old = self.b.ins().atomic_cas(flags, addr, expected, s);
            let old = widen(self, old);
            self.set(Reg::R0, old);
            return;
        }
        let rmw = match op {
            AtomicOp::Add | AtomicOp::FetchAdd => AtomicRmwOp::Add,
            AtomicOp::Or | AtomicOp::FetchOr => AtomicRmwOp::Or,
            AtomicOp::And | AtomicOp::FetchAnd => AtomicRmwOp::And,
            AtomicOp::Xor | AtomicOp::FetchXor => AtomicRmwOp::Xor,
            AtomicOp::Xchg | AtomicOp::CmpXchg => AtomicRmwOp::Xchg,
        };
        let old = self.b.ins().atomic_rmw(ty, flags, rmw, addr, s);
        if op.fetches() {
            let old = widen(self, old);
            self.set(src, old);
        }
    }

    /// `ldabs`/`ldind`: a big-endian load from the context at `[src +] imm`, bounds-checked
    /// against the context alone (as the legacy instructions define).
    pub(super) fn load_packet(&mut self, pc: usize, size: Size, mode: PacketMode, imm: i32) {
        let bytes = size.bytes() as u32;
        let offset = match mode {
            PacketMode::Abs => self.b.ins().iconst(types::I64, i64::from(imm)),
            PacketMode::Ind(r) => {
                let v = self.get(r);
                self.b.ins().iadd_imm_s(v, i64::from(imm))
            }
        };
        let (start, count) = self.ctx_bounds(bytes);
        let addr = self.b.ins().iadd(start, offset);
        let outside = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, offset, count);
        self.trap_if(
            outside,
            TrapCode::OutOfBounds,
            pc,
            Some(addr),
            i64::from(bytes),
        );
        let ty = ty_of(size);
        let v = self.b.ins().load(ty, MEM, addr, 0);
        let v = if ty == types::I8 || self.opts.big_endian {
            v
        } else {
            self.b.ins().bswap(v)
        };
        let v = if ty == types::I64 {
            v
        } else {
            self.b.ins().uextend(types::I64, v)
        };
        self.set(Reg::R0, v);
    }
}
