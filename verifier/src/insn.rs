//! What each instruction does to the abstract state: ALU operations and pointer arithmetic,
//! `lddw`, calls of local functions and exits. Memory, branches and helper calls have their own
//! files.

use crate::env::ContextSize;
use crate::error::{VerifyError, VerifyErrorKind};
use crate::scalar::Scalar;
use crate::state::{CTX_LEN_ID, Frame, Stack, State};
use crate::types::{Ptr, PtrKind, Value};
use crate::verify::{Checker, Step};
use oxbpf_core::isa::{AluOp, Insn, Operand, Reg, Width};

/// The largest pointer offset arithmetic may produce (as Linux's `BPF_MAX_VAR_OFF`).
pub(crate) const MAX_OFF: i64 = 1 << 29;
/// The bound on offsets into raw memory tracked as a range (see [`ContextSize::InR2`]); beyond
/// it that side of a pointer's range is unbounded.
const MAX_RAW_OFF: i64 = 1 << 62;

/// Why reading register `r`, which holds nothing, is refused.
pub(crate) fn uninit_message(st: &State, r: usize) -> String {
    match st.stale.of(r) {
        Some(at) => format!(
            "r{r} held a packet pointer, which the call at insn {at} may have moved: load data \
             and data_end from the context again and compare them after the call"
        ),
        None => format!("r{r} is read before it is written"),
    }
}

impl Checker<'_> {
    /// Register `r`, which must have been written.
    pub(crate) fn read(&self, pc: usize, st: &State, r: Reg) -> Result<Value, VerifyError> {
        match st.reg(r.idx()) {
            Value::Uninit => Err(self.error(pc, uninit_message(st, r.idx()))),
            v => Ok(v),
        }
    }

    /// The second operand.
    pub(crate) fn operand(&self, pc: usize, st: &State, o: Operand) -> Result<Value, VerifyError> {
        match o {
            Operand::Reg(r) => self.read(pc, st, r),
            Operand::Imm(i) => Ok(Value::constant(i64::from(i) as u64)),
        }
    }

    /// Register `r`, which must hold a number.
    fn read_scalar(
        &self,
        pc: usize,
        st: &State,
        r: Reg,
        what: &str,
    ) -> Result<Scalar, VerifyError> {
        match self.read(pc, st, r)? {
            Value::Scalar(s) => Ok(s),
            v => Err(self.leak(pc, format!("{what} of a pointer (r{} = {v})", r.idx()))),
        }
    }

    /// A pointer would become a number the host can see.
    pub(crate) fn leak(&self, pc: usize, what: String) -> VerifyError {
        VerifyError {
            kind: VerifyErrorKind::Leak,
            ..self.error(pc, format!("{what} would leak an address"))
        }
    }

    /// Executes the instruction at `pc`.
    pub(crate) fn step(&mut self, pc: usize, st: &mut State) -> Result<Step, VerifyError> {
        let insn = self.insns[pc];
        match insn {
            Insn::Alu {
                width,
                op,
                dst,
                src,
            } => self.alu(pc, st, width, op, dst, src)?,
            Insn::Neg { width, dst } => {
                let v = self.read_scalar(pc, st, dst, "negation")?;
                st.set_reg(dst.idx(), Value::Scalar(v.neg(width)));
            }
            Insn::Endian { order, bits, dst } => {
                let v = self.read_scalar(pc, st, dst, "byte swap")?;
                st.set_reg(dst.idx(), Value::Scalar(v.endian(order, bits)));
            }
            Insn::Load {
                size,
                signed,
                dst,
                src,
                off,
            } => {
                let v = match self.load(pc, st, src, off, size, signed)? {
                    // A pointer that may be null (a socket field): its copies share an id, so
                    // that a null check of one covers all.
                    Value::Ptr(p) if p.nullable && p.id == 0 => Value::Ptr(Ptr {
                        id: st.fresh_id(),
                        ..p
                    }),
                    v => v,
                };
                st.set_reg(dst.idx(), v);
            }
            Insn::Store {
                size,
                dst,
                off,
                src,
            } => {
                let v = self.operand(pc, st, src)?;
                self.store(pc, st, dst, off, size, v)?;
            }
            Insn::Atomic {
                size,
                op,
                dst,
                src,
                off,
            } => self.atomic(pc, st, size, op, dst, src, off)?,
            Insn::LoadImm64 { dst, imm, .. } => {
                let v = match self.map_at.get(&pc) {
                    Some(m) => {
                        let kind = match m.value_offset {
                            None => PtrKind::Map { map: m.map },
                            Some(_) => PtrKind::MapValue { map: m.map },
                        };
                        Value::Ptr(Ptr::at(kind, i64::from(m.value_offset.unwrap_or(0))))
                    }
                    None => Value::constant(imm),
                };
                st.set_reg(dst.idx(), v);
                return Ok(Step::Goto(pc + 2));
            }
            Insn::LoadImm64Tail => {}
            Insn::LoadPacket { .. } if st.lock.is_some() => {
                return Err(self.error(
                    pc,
                    "a legacy packet load (it may end the program) while holding a \
                     bpf_spin_lock"
                        .to_owned(),
                ));
            }
            Insn::LoadPacket { size, mode, .. } => {
                if let oxbpf_core::isa::PacketMode::Ind(r) = mode {
                    self.read_scalar(pc, st, r, "packet index")?;
                }
                let ctx = &self.env.settings.context;
                let packet = ctx.layout.and_then(|l| l.packet);
                match ctx.program_type {
                    // Raw memory: the legacy loads read the context's bytes, checked at run time
                    // like any access to it — which must then hold no packet pointer.
                    None if (packet.is_some() || ctx.packet.is_some())
                        && !self.env.settings.allow_pointer_leaks =>
                    {
                        return Err(self.leak(
                            pc,
                            "a legacy packet load from a context holding packet pointers".into(),
                        ));
                    }
                    None => {}
                    // Linux's socket filters and traffic-control programs: the loads read the
                    // packet through the context in `r6`, ending the program with `r0 = 0`
                    // when outside it, and clobber `r1`-`r5` as the call they stand for does.
                    Some(t) if t.legacy_packet_loads() && packet.is_some() => {
                        if !matches!(st.reg(6), Value::Ptr(p) if p.kind == PtrKind::Ctx && p.fixed() == Some(0))
                        {
                            return Err(self.error(
                                pc,
                                format!(
                                    "a legacy packet load needs the context in r6 (r6 = {})",
                                    st.reg(6)
                                ),
                            ));
                        }
                        if self
                            .insns
                            .iter()
                            .any(|i| matches!(i, Insn::CallLocal { .. }))
                        {
                            return Err(self.error(
                                pc,
                                "legacy packet loads cannot be mixed with local function calls"
                                    .into(),
                            ));
                        }
                        crate::call::set_results(
                            st,
                            Value::Scalar(Scalar::of_size(size.bytes() as u32)),
                        );
                        return Ok(Step::Goto(pc + 1));
                    }
                    Some(t) => {
                        return Err(self.error(
                            pc,
                            format!(
                                "legacy packet loads are not allowed in {} programs",
                                t.name()
                            ),
                        ));
                    }
                }
                self.record_access(pc, false, true)?;
                st.set_reg(0, Value::Scalar(Scalar::of_size(size.bytes() as u32)));
            }
            Insn::Ja { .. } | Insn::Ja32 { .. } => {
                return Ok(Step::Goto(insn.target_index(pc).unwrap_or(pc + 1)));
            }
            Insn::Jump {
                width,
                cond,
                dst,
                src,
                ..
            } => {
                let target = insn.target_index(pc).unwrap_or(pc + 1);
                return self.branch(pc, st, width, cond, dst, src, target);
            }
            Insn::Call { helper } => self.call_helper(pc, st, Some(helper))?,
            Insn::Callx { reg } => {
                let id = self.read_scalar(pc, st, reg, "call through a register")?;
                self.call_helper(pc, st, id.as_const().and_then(|i| u32::try_from(i).ok()))?;
            }
            Insn::CallRuntime { id } => {
                return Err(self.error(pc, format!("runtime function {id} is not supported")));
            }
            Insn::CallLocal { .. } => {
                if st.lock.is_some() {
                    return Err(self.error(
                        pc,
                        "calling a function while holding a bpf_spin_lock".to_owned(),
                    ));
                }
                let target = insn.target_index(pc).unwrap_or(pc + 1);
                self.call_local(pc, st)?;
                return Ok(Step::Goto(target));
            }
            Insn::Exit => return self.exit(pc, st),
        }
        Ok(Step::Goto(pc + 1))
    }

    fn alu(
        &mut self,
        pc: usize,
        st: &mut State,
        width: Width,
        op: AluOp,
        dst: Reg,
        src: Operand,
    ) -> Result<(), VerifyError> {
        let s = self.operand(pc, st, src)?;
        let d = dst.idx();
        if op == AluOp::Mov {
            let v = match (width, s) {
                (Width::W64, Value::Scalar(mut sc)) => {
                    // A copy: both registers are linked, so a branch on one narrows the other.
                    if let Operand::Reg(r) = src
                        && sc.id == 0
                    {
                        sc.id = st.fresh_id();
                        st.set_reg(r.idx(), Value::Scalar(sc));
                    }
                    Value::Scalar(sc)
                }
                (Width::W64, v) => v,
                (Width::W32, Value::Scalar(sc)) => Value::Scalar(sc.low32()),
                (Width::W32, v) => {
                    if !self.env.settings.allow_pointer_leaks {
                        return Err(self.leak(pc, format!("a 32-bit copy of {v}")));
                    }
                    Value::Scalar(Scalar::of_size(4))
                }
            };
            st.set_reg(d, v);
            return Ok(());
        }
        if matches!(op, AluOp::MovSx8 | AluOp::MovSx16 | AluOp::MovSx32) {
            let Value::Scalar(sc) = s else {
                return Err(self.leak(pc, format!("sign-extending {s}")));
            };
            st.set_reg(d, Value::Scalar(Scalar::UNKNOWN.alu(op, width, &sc)));
            return Ok(());
        }
        let dv = self.read(pc, st, dst)?;
        let mut link = None;
        let result = match (dv, s) {
            (Value::Scalar(a), Value::Scalar(b)) => {
                let mut r = a.alu(op, width, &b);
                // `a + c` of a linked value, where the sum cannot wrap: linked to `a` by `c`.
                if let Some(d) = offset_of(width, op, &a, &b) {
                    r.id = st.fresh_id();
                    link = Some((a.id, r.id, d));
                }
                Value::Scalar(r)
            }
            (Value::Ptr(p), Value::Scalar(b)) if width == Width::W64 && op == AluOp::Add => {
                let b = packet_index(st, &p, b);
                let v = self.ptr_add(pc, p, &b, false, dst, src)?;
                own_index(st, v, &b)
            }
            (Value::Ptr(p), Value::Scalar(b)) if width == Width::W64 && op == AluOp::Sub => {
                let v = self.ptr_add(pc, p, &b, true, dst, src)?;
                own_index(st, v, &b)
            }
            (Value::Scalar(a), Value::Ptr(p)) if width == Width::W64 && op == AluOp::Add => {
                let a = packet_index(st, &p, a);
                let v = self.ptr_add(pc, p, &a, false, dst, src)?;
                own_index(st, v, &a)
            }
            (Value::Ptr(a), Value::Ptr(b))
                if width == Width::W64 && op == AluOp::Sub && same_region(&a, &b) =>
            {
                Value::Scalar(Scalar::UNKNOWN)
            }
            (a, b) => {
                if self.env.settings.allow_pointer_leaks {
                    Value::Scalar(Scalar::UNKNOWN)
                } else {
                    return Err(self.error(
                        pc,
                        format!(
                            "{}-bit {} of r{d} = {a} and {} = {b} is not allowed on pointers",
                            if width == Width::W64 { 64 } else { 32 },
                            format!("{op:?}").to_lowercase(),
                            match src {
                                Operand::Reg(r) => format!("r{}", r.idx()),
                                Operand::Imm(_) => "the immediate".into(),
                            }
                        ),
                    ));
                }
            }
        };
        st.set_reg(d, result);
        if let Some((a, b, d)) = link {
            st.add_offset(a, b, d);
        }
        Ok(())
    }

    /// `p + b` (or `p - b`).
    fn ptr_add(
        &self,
        pc: usize,
        p: Ptr,
        b: &Scalar,
        sub: bool,
        dst: Reg,
        src: Operand,
    ) -> Result<Value, VerifyError> {
        // Only for messages: formatted when one is written.
        let what = || format!("r{} = {}", dst.idx(), Value::Ptr(p));
        if p.nullable {
            return Err(self.error(
                pc,
                format!(
                    "arithmetic on a pointer that may be null ({}); check it first",
                    what()
                ),
            ));
        }
        if matches!(
            p.kind,
            PtrKind::Map { .. } | PtrKind::CtxEnd | PtrKind::PacketEnd | PtrKind::Socket { .. }
        ) {
            return Err(self.error(pc, format!("arithmetic on {} is not allowed", what())));
        }
        // r1 + r2 on raw memory: the end of the context.
        if p.kind == PtrKind::Ctx
            && !sub
            && p.fixed() == Some(0)
            && b.id == CTX_LEN_ID
            && self.env.settings.context.size == ContextSize::InR2
        {
            return Ok(Value::Ptr(Ptr::at(PtrKind::CtxEnd, 0)));
        }
        let raw = p.kind == PtrKind::Ctx && self.env.settings.context.size == ContextSize::InR2;
        // Raw memory or the packet plus an index: remember the index, which facts may bound by
        // the length (of the memory, of the packet).
        let (var, var_off) = match b.as_const() {
            _ if !raw && p.kind != PtrKind::Packet => (0, 0),
            Some(c) if p.var != 0 => {
                let c = c as i64;
                match if sub {
                    p.var_off.checked_sub(c)
                } else {
                    p.var_off.checked_add(c)
                } {
                    Some(o) => (p.var, o),
                    None => (0, 0),
                }
            }
            None if p.var == 0 && !sub && b.id != 0 && b.id != CTX_LEN_ID => {
                p.fixed().map_or((0, 0), |o| (b.id, o))
            }
            _ => (0, 0),
        };
        let p = Ptr { var, var_off, ..p };
        let (lo, hi) = if sub {
            (p.off_min.checked_sub(b.smax), p.off_max.checked_sub(b.smin))
        } else {
            (p.off_min.checked_add(b.smin), p.off_max.checked_add(b.smax))
        };
        match (lo, hi) {
            (Some(lo), Some(hi)) if lo >= -MAX_OFF && hi <= MAX_OFF => Ok(Value::Ptr(Ptr {
                off_min: lo,
                off_max: hi,
                ..p
            })),
            // Raw memory has a length known only at run time, and the run-time check stays on
            // every access not proven, against the context alone: a pointer into it may move
            // far (an access through it must not lie below the start, see `check_access`).
            (lo, hi) if raw => {
                // Each bound beyond the tracked range is lost on its own side: a pointer moved
                // by a large non-negative number still lies at or above its start.
                let lo = lo.filter(|&l| l >= -MAX_RAW_OFF).unwrap_or(i64::MIN);
                let hi = hi.filter(|&h| h <= MAX_RAW_OFF).unwrap_or(i64::MAX);
                Ok(Value::Ptr(Ptr {
                    off_min: lo,
                    off_max: hi,
                    ..p
                }))
            }
            _ => Err(self.error(
                pc,
                format!(
                    "pointer arithmetic on {} with {} = {b} can leave any region \
                     (bound the value first)",
                    what(),
                    match src {
                        Operand::Reg(r) => format!("r{}", r.idx()),
                        Operand::Imm(_) => "the immediate".into(),
                    }
                ),
            )),
        }
    }

    fn call_local(&mut self, pc: usize, st: &mut State) -> Result<(), VerifyError> {
        if st.frames.len() >= self.max_depth {
            return Err(self.error(
                pc,
                format!("call nests deeper than {} frames", self.max_depth),
            ));
        }
        let mut regs = [Value::Uninit; 11];
        regs[1..6].copy_from_slice(&st.cur().regs[1..6]);
        regs[10] = Value::Ptr(Ptr::at(
            PtrKind::Stack {
                frame: st.frames.len() as u8,
            },
            0,
        ));
        st.stale = Default::default();
        st.frames.push(Frame {
            regs,
            stack: Stack::default(),
            ret_pc: pc + 1,
        });
        Ok(())
    }

    fn exit(&mut self, pc: usize, st: &mut State) -> Result<Step, VerifyError> {
        if st.lock.is_some() {
            return Err(self.error(
                pc,
                "exit while holding a bpf_spin_lock (bpf_spin_unlock is missing)".to_owned(),
            ));
        }
        let r0 = st.reg(0);
        // A function that returns nothing (`static void f()`, not inlined) may leave r0 unset:
        // its caller then must not read it, as Linux has it; the program's own exit must set it.
        if r0 == Value::Uninit && st.frames.len() == 1 {
            return Err(self.error(pc, "r0 is not set at exit".into()));
        }
        if st.frames.len() == 1 {
            if r0.is_ptr() && !self.env.settings.allow_pointer_leaks {
                return Err(self.leak(pc, format!("returning r0 = {r0}")));
            }
            if let Some(&(_, at)) = st.refs.first() {
                return Err(self.error(
                    pc,
                    format!(
                        "the ring-buffer record reserved at insn {at} is neither submitted nor \
                         discarded"
                    ),
                ));
            }
            return Ok(Step::Stop);
        }
        let depth = st.depth();
        let dangling = |v: &Value| matches!(v, Value::Ptr(Ptr { kind: PtrKind::Stack { frame }, .. }) if *frame == depth);
        if dangling(&r0) {
            return Err(self.error(
                pc,
                format!("r0 = {r0} points into the stack of the function that returns"),
            ));
        }
        st.stale = Default::default();
        let frame = st.frames.pop().expect("a callee frame");
        for f in &st.frames {
            if f.regs
                .iter()
                .chain(f.stack.slots.iter().map(|s| &s.spill))
                .any(dangling)
            {
                return Err(self.error(
                    pc,
                    "a pointer into the returning function's stack outlives it".into(),
                ));
            }
        }
        crate::call::set_results(st, r0);
        Ok(Step::Goto(frame.ret_pc))
    }
}

/// Whether two pointers point into the same region (so their difference is a distance).
pub(crate) fn same_region(a: &Ptr, b: &Ptr) -> bool {
    use PtrKind::*;
    match (a.kind, b.kind) {
        (Ctx | CtxEnd, Ctx | CtxEnd)
        | (Packet | PacketEnd | PacketMeta, Packet | PacketEnd | PacketMeta) => true,
        // Each reservation is a region of its own, whatever its size.
        (Record { .. }, Record { .. }) => a.id == b.id,
        (x, y) => x == y && !matches!(x, Map { .. }),
    }
}

/// `d` where `a op b` is `a + d` for every value of `a`, without wrapping, and `a` is linked.
fn offset_of(width: Width, op: AluOp, a: &Scalar, b: &Scalar) -> Option<i64> {
    if width != Width::W64 || a.id == 0 || a.id == CTX_LEN_ID {
        return None;
    }
    let c = b.as_const()? as i64;
    let d = match op {
        AluOp::Add => c,
        AluOp::Sub => c.checked_neg()?,
        _ => return None,
    };
    let fits = if d >= 0 {
        a.umax.checked_add(d as u64).is_some()
    } else {
        a.umin >= d.unsigned_abs()
    };
    fits.then_some(d)
}

/// `b` as the index of a packet pointer `p` moves by: a number without an id gets a fresh one,
/// so that a check of the moved pointer against `data_end` becomes a fact about the index
/// (`data + index + k <= data_end`), which every copy of the pointer shares.
fn packet_index(st: &mut State, p: &Ptr, b: Scalar) -> Scalar {
    if p.kind == PtrKind::Packet && p.var == 0 && b.id == 0 && b.as_const().is_none() {
        Scalar {
            id: st.fresh_id(),
            ..b
        }
    } else {
        b
    }
}

/// A packet pointer moved by a number that is not a constant, whose offset no index describes
/// (it was moved by two numbers, or its offset was already a range): its whole offset becomes an
/// index of its own, fresh, so that a check of it (or of a copy) against `data_end` proves the
/// bytes after it, as Linux gives such a pointer a fresh id and a range.
fn own_index(st: &mut State, v: Value, b: &Scalar) -> Value {
    match v {
        Value::Ptr(p) if p.kind == PtrKind::Packet && p.var == 0 && b.as_const().is_none() => {
            Value::Ptr(Ptr {
                var: st.fresh_id(),
                var_off: 0,
                ..p
            })
        }
        v => v,
    }
}
