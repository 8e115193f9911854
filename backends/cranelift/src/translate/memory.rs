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
        if self.program.is_probe(pc) {
            return self.probe_load(pc, size, signed, dst, src, off);
        }
        let addr = self.address(src, off);
        self.check_access(pc, src, off, addr, size.bytes() as u32, Access::Read);
        let v = self.plain_load(size, signed, addr);
        self.set(dst, v);
    }

    /// A load of `size` bytes at `addr`, without a check.
    fn plain_load(&mut self, size: Size, signed: bool, addr: Value) -> Value {
        let ins = self.b.ins();
        match (size, signed) {
            (Size::DW, _) => ins.load(types::I64, MEM, addr, 0),
            (Size::B, false) => ins.uload8(types::I64, MEM, addr, 0),
            (Size::H, false) => ins.uload16(types::I64, MEM, addr, 0),
            (Size::W, false) => ins.uload32(MEM, addr, 0),
            (Size::B, true) => ins.sload8(types::I64, MEM, addr, 0),
            (Size::H, true) => ins.sload16(types::I64, MEM, addr, 0),
            (Size::W, true) => ins.sload32(MEM, addr, 0),
        }
    }

    /// A probe load (`Program::is_probe`): the bytes where they lie in the context (one compare),
    /// else where the runtime's slow path finds them probe-readable (memory the host added; a
    /// direct entry has none), else 0. It never traps.
    fn probe_load(&mut self, pc: usize, size: Size, signed: bool, dst: Reg, src: Reg, off: i16) {
        let addr = self.address(src, off);
        let bytes = size.bytes() as u32;
        self.flush_charges();
        let (rel, count) = self.ctx_rel_count(addr, bytes);
        let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, rel, count);
        let load = self.b.create_block();
        self.b.append_block_param(load, types::I64);
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let join = self.b.create_block();
        self.b.append_block_param(join, types::I64);
        self.b.ins().brif(inside, load, &[addr.into()], slow, &[]);

        self.b.switch_to_block(slow);
        let zero = self.b.ins().iconst(types::I64, 0);
        if self.direct.is_some() {
            self.b.ins().jump(join, &[zero.into()]);
        } else {
            let info = crate::abi::check_info(pc as u64, u64::from(bytes), false)
                | crate::abi::CHECK_PROBE;
            self.call_slow_path(addr, info);
            let found = self.b.ins().load(
                types::I64,
                super::VM,
                self.vmctx,
                crate::abi::off::CHECK_ADDR,
            );
            self.b
                .ins()
                .brif(found, load, &[found.into()], join, &[zero.into()]);
        }

        self.b.switch_to_block(load);
        let at = self.b.block_params(load)[0];
        let v = self.plain_load(size, signed, at);
        self.b.ins().jump(join, &[v.into()]);

        self.b.switch_to_block(join);
        let v = self.b.block_params(join)[0];
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
    /// against the context alone (as the legacy instructions define) — or, in a program of a
    /// packet type, from the packet (see [`load_packet_data`](Self::load_packet_data)).
    pub(super) fn load_packet(&mut self, pc: usize, size: Size, mode: PacketMode, imm: i32) {
        if let Some(p) = self.opts.packet {
            self.load_packet_data(pc, size, mode, imm, p);
            return;
        }
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
        self.finish_packet_load(size, addr);
    }

    /// A socket filter's or traffic-control program's legacy load: from the packet between
    /// the context's full-width `data` and `data_end`, at the 32-bit offset `[src +] imm`.
    /// Outside the packet the program ends with `r0 = 0`, as in Linux (the verifier keeps
    /// these loads out of local functions; there, they trap).
    fn load_packet_data(
        &mut self,
        pc: usize,
        size: Size,
        mode: PacketMode,
        imm: i32,
        p: oxbpf_core::program_type::PacketPointers,
    ) {
        let bytes = i64::from(size.bytes() as u32);
        let off = match mode {
            PacketMode::Abs => self.b.ins().iconst(types::I64, i64::from(imm)),
            PacketMode::Ind(r) => {
                let v = self.get(r);
                let v = self.b.ins().iadd_imm_s(v, i64::from(imm));
                let v = self.b.ins().ireduce(types::I32, v);
                self.b.ins().sextend(types::I64, v)
            }
        };
        let (start, _) = self.ctx_bounds(1);
        let data = self.b.ins().load(types::I64, MEM, start, p.data as i32);
        let end = self.b.ins().load(types::I64, MEM, start, p.data_end as i32);
        let len = self.b.ins().isub(end, data);
        // `off` is a sign-extended 32-bit number: negative (huge unsigned), or `off + bytes`
        // fits in 64 bits.
        let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, off, 0);
        let last = self.b.ins().iadd_imm_s(off, bytes);
        let past = self.b.ins().icmp(IntCC::UnsignedGreaterThan, last, len);
        let outside = self.b.ins().bor(negative, past);
        let addr = self.b.ins().iadd(data, off);
        if self.outermost || self.direct.is_some() {
            self.flush_charges();
            let (leave, cont) = (self.b.create_block(), self.b.create_block());
            self.b.ins().brif(outside, leave, &[], cont, &[]);
            self.b.switch_to_block(leave);
            let zero = self.b.ins().iconst(types::I64, 0);
            self.set(Reg::R0, zero);
            self.exit();
            self.b.switch_to_block(cont);
        } else {
            self.trap_if(outside, TrapCode::OutOfBounds, pc, Some(addr), bytes);
        }
        self.finish_packet_load(size, addr);
    }

    /// Loads a big-endian value of `size` bytes at `addr` into `r0`.
    fn finish_packet_load(&mut self, size: Size, addr: Value) {
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
