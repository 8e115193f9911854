//! Loads, stores and atomics: the region a pointer reaches, the bounds of each access, what the
//! stack holds byte by byte, and which pointers may be written where.

use crate::env::ContextSize;
use crate::error::VerifyError;
use crate::scalar::Scalar;
use crate::state::{Slot, Stack, State};
use crate::types::{Ptr, PtrKind, SockPart, Value};
use crate::verify::{Checker, MemArg};
use oxbpf_core::isa::{AtomicOp, Reg, Size};
use oxbpf_core::program_type::{FieldKind, context};

/// Reading or writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    Read,
    Write,
}

/// A checked access: the byte range `lo..hi` relative to the region's start (or to `r10` for
/// the stack) that the access may touch.
pub(crate) struct Span {
    pub(crate) lo: i64,
    pub(crate) hi: i64,
    /// Whether the bounds are proven (otherwise the run-time check decides).
    pub(crate) proven: bool,
}

impl Span {
    /// The stack slots the span touches (for a stack span).
    fn slots(&self) -> std::ops::RangeInclusive<usize> {
        Stack::locate(self.hi - 1).0..=Stack::locate(self.lo).0
    }
}

/// Registers by number, for messages.
const REG_NAMES: [&str; 11] = [
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10",
];

impl Checker<'_> {
    /// The pointer in `base`, for an access.
    fn base_ptr(&self, pc: usize, st: &State, base: Reg) -> Result<Ptr, VerifyError> {
        match self.read(pc, st, base)? {
            Value::Ptr(p) => Ok(p),
            v => {
                let hint = if self.probes_numbers() {
                    " (a BTF-typed tracing program may read through a number, as through a \
                     kernel pointer, but not write or run an atomic operation through it)"
                } else {
                    ""
                };
                Err(self.error(
                    pc,
                    format!(
                        "r{} = {v} is not a pointer; memory is reached only through pointers{hint}",
                        base.idx()
                    ),
                ))
            }
        }
    }

    /// Whether loads through a number are probe loads: in the BTF-typed tracing programs
    /// (`fentry`, `fexit`, `tp_btf`, `lsm`, `iter`), whose arguments Linux types with the
    /// kernel's BTF and reads through as `BPF_PROBE_MEM`. Without the kernel's types every
    /// number stands for a possible kernel pointer; each such load is checked at run time
    /// against the memory a probe reaches, and yields 0 outside it, so no proof rests on it.
    pub(crate) fn probes_numbers(&self) -> bool {
        self.env
            .settings
            .context
            .layout
            .is_some_and(|l| l.name == context::TRACING_ARGS.name)
    }

    /// Checks that `size` bytes at `off` from `p` lie in its region and may be accessed so;
    /// its span says whether the bounds are proven or left to the run-time check.
    #[allow(
        clippy::too_many_arguments,
        reason = "the access, and the operand for messages"
    )]
    pub(crate) fn check_access(
        &mut self,
        pc: usize,
        st: &State,
        p: &Ptr,
        what: &str,
        off: i64,
        size: u64,
        dir: Dir,
    ) -> Result<Span, VerifyError> {
        let size = size as i64;
        let (lo, hi) = (
            p.off_min.saturating_add(off),
            p.off_max.saturating_add(off + size),
        );
        let shown = Value::Ptr(*p);
        let at = |region: &str| {
            format!(
                "{what} = {shown}: access of {size} bytes at offset {}{} is outside {region}",
                lo,
                if p.fixed().is_some() {
                    String::new()
                } else {
                    format!("..={}", hi - size)
                }
            )
        };
        if p.nullable {
            return Err(self.error(
                pc,
                format!("{what} = {shown} may be null; compare it with 0 before the access"),
            ));
        }
        let proven = match p.kind {
            PtrKind::Socket { part } => {
                let Some(o) = p.fixed() else {
                    return Err(self.error(
                        pc,
                        format!("{what} = {shown}: a socket is reached at fixed offsets only"),
                    ));
                };
                let o = o + off;
                let (layout, hidden) = match part {
                    SockPart::Tcp => (context::BPF_TCP_SOCK, None),
                    SockPart::Full => (context::BPF_SOCK, None),
                    SockPart::Common => (context::BPF_SOCK, Some(context::SOCK_COMMON_HIDDEN)),
                };
                if dir == Dir::Write {
                    return Err(self.error(
                        pc,
                        format!("{what} = {shown}: a socket is read-only to programs"),
                    ));
                }
                if let Some((from, to)) = hidden
                    && o < i64::from(to)
                    && o + size > i64::from(from)
                {
                    return Err(self.error(
                        pc,
                        format!(
                            "{what} = {shown}: bytes {from}..{to} of bpf_sock (type, protocol, \
                             mark, priority) are not in a socket's common part (bpf_sk_fullsock \
                             gives the whole socket)"
                        ),
                    ));
                }
                layout
                    .check(o, size as u32, false)
                    .map_err(|e| self.error(pc, format!("{what} = {shown}: {e}")))?;
                true
            }
            PtrKind::Stack { .. } => {
                if lo < -self.frame_size || hi > 0 {
                    return Err(self.error(
                        pc,
                        at(&format!("the stack frame [-{}, 0)", self.frame_size)),
                    ));
                }
                true
            }
            PtrKind::Ctx => {
                if let Some(layout) = &self.env.settings.context.layout {
                    let Some(o) = p.fixed() else {
                        return Err(self.error(
                            pc,
                            format!(
                                "{what} = {shown}: a {} is reached at fixed offsets only",
                                layout.name
                            ),
                        ));
                    };
                    layout
                        .check(o + off, size as u32, dir == Dir::Write)
                        .map_err(|e| self.error(pc, format!("{what} = {shown}: {e}")))?;
                }
                let raw = self.env.settings.context.size == ContextSize::InR2;
                // Raw memory plus an index known to leave room below the run-time length.
                let by_index = raw
                    && !st.facts_of_packet
                    && st.len_fact(p.var).is_some_and(|k| {
                        p.var_off.checked_add(off).is_some_and(|start| {
                            start >= 0 && start.checked_add(size).is_some_and(|end| end <= k)
                        })
                    });
                if lo < 0 && !by_index {
                    if raw && p.fixed().is_none() {
                        // A pointer moved by a number that may be negative (an unknown 64-bit
                        // number, say) may point anywhere, the stack included.
                        return Err(self.error(
                            pc,
                            format!(
                                "{what} = {shown}: the offset into the context is not bounded \
                                 below (compare the index with the length in r2, or bound it \
                                 first)"
                            ),
                        ));
                    }
                    return Err(self.error(pc, at("the context")));
                }
                if dir == Dir::Write
                    && let Some(w) = &self.env.settings.context.writable
                {
                    let inside = w
                        .iter()
                        .any(|&(s, e)| i64::from(s) <= lo && hi <= i64::from(e));
                    if !inside {
                        return Err(self.error(pc, format!("{what} = {shown}: write of {size} bytes at offset {lo} to a read-only part of the context")));
                    }
                }
                if dir == Dir::Write
                    && (self.reaches_packet_fields(lo, hi)
                        || by_index && self.env.settings.context.packet.is_some())
                {
                    return Err(self.error(
                        pc,
                        format!(
                            "{what} = {shown}: write of {size} bytes at offset {lo} may change \
                             the context's packet pointers"
                        ),
                    ));
                }
                match self.env.settings.context.size {
                    ContextSize::Fixed(n) if hi > i64::from(n) => {
                        return Err(self.error(pc, at(&format!("the {n}-byte context"))));
                    }
                    // The size is the program type's; a run may get a shorter buffer, so
                    // the access keeps its run-time check.
                    ContextSize::Fixed(_) => false,
                    ContextSize::InR2 => by_index || (lo >= 0 && hi as u64 <= st.ctx_min),
                }
            }
            PtrKind::PacketMeta => {
                if dir == Dir::Write {
                    self.packet_writable(pc, &format!("{what} = {shown}"), "metadata")?;
                }
                if lo < 0 || hi as u64 > st.meta_min {
                    return Err(self.error(
                        pc,
                        at(&format!(
                            "the {} metadata bytes proven present (compare with data first)",
                            st.meta_min
                        )),
                    ));
                }
                true
            }
            PtrKind::Packet => {
                if dir == Dir::Write {
                    self.packet_writable(pc, &format!("{what} = {shown}"), "packet")?;
                }
                // Moved by an index the packet is known to hold `k` bytes past.
                let by_index = p.var != 0
                    && st.len_fact(p.var).is_some_and(|k| {
                        p.var_off
                            .checked_add(off)
                            .and_then(|o| o.checked_add(size))
                            .is_some_and(|end| end <= k)
                    });
                if lo < 0 || (hi as u64 > st.pkt_min && !by_index) {
                    return Err(self.error(
                        pc,
                        at(&format!(
                            "the {} packet bytes proven present (compare with data_end first)",
                            st.pkt_min
                        )),
                    ));
                }
                true
            }
            PtrKind::MapValue { map } => {
                let info = &self.env.maps[map as usize];
                if lo < 0 || hi > i64::from(info.value_size) {
                    return Err(self.error(
                        pc,
                        at(&format!(
                            "the {}-byte value of map `{}`",
                            info.value_size, info.name
                        )),
                    ));
                }
                if let Some(l) = info.spin_lock
                    && lo < i64::from(l) + 4
                    && hi > i64::from(l)
                {
                    return Err(self.error(
                        pc,
                        format!(
                            "{what} = {shown}: bytes {l}..{} of map `{}`'s value are its \
                             bpf_spin_lock, which programs reach only through bpf_spin_lock and \
                             bpf_spin_unlock",
                            l + 4,
                            info.name
                        ),
                    ));
                }
                if dir == Dir::Write && info.read_only_to_programs() {
                    return Err(self.error(
                        pc,
                        format!(
                            "{what} = {shown}: map `{}` is read-only to programs",
                            info.name
                        ),
                    ));
                }
                true
            }
            PtrKind::Record { size: n } => {
                if lo < 0 || hi > i64::from(n) {
                    return Err(self.error(pc, at(&format!("the {n}-byte ring-buffer record"))));
                }
                true
            }
            PtrKind::Map { .. } | PtrKind::CtxEnd | PtrKind::PacketEnd => {
                return Err(self.error(
                    pc,
                    format!("{what} = {shown} is not memory a program may access"),
                ));
            }
        };
        Ok(Span { lo, hi, proven })
    }

    /// The access of a load, store or atomic through `base`: its pointer, span and width.
    fn insn_access(
        &mut self,
        pc: usize,
        st: &State,
        base: Reg,
        off: i16,
        size: Size,
        dir: Dir,
    ) -> Result<(Ptr, Span, u32), VerifyError> {
        let p = self.base_ptr(pc, st, base)?;
        let what = REG_NAMES[base.idx()];
        let bytes = size.bytes() as u32;
        let span = self.check_access(pc, st, &p, what, i64::from(off), u64::from(bytes), dir)?;
        self.record_access(pc, span.proven, p.kind == PtrKind::Ctx)?;
        Ok((p, span, bytes))
    }

    /// `ldx`: the value loaded.
    pub(crate) fn load(
        &mut self,
        pc: usize,
        st: &State,
        base: Reg,
        off: i16,
        size: Size,
        signed: bool,
    ) -> Result<Value, VerifyError> {
        if self.probes_numbers() && matches!(self.read(pc, st, base)?, Value::Scalar(_)) {
            self.record_probe(pc)?;
            let bytes = size.bytes() as u32;
            let v = Scalar::of_size(bytes);
            return Ok(Value::Scalar(if signed { v.sign_extend(bytes) } else { v }));
        }
        let (p, span, bytes) = self.insn_access(pc, st, base, off, size, Dir::Read)?;
        let number = |v: Scalar| Value::Scalar(if signed { v.sign_extend(bytes) } else { v });
        match p.kind {
            PtrKind::Stack { frame } => {
                let v = self.stack_read(pc, st, frame, &span, p.fixed().is_some(), bytes)?;
                Ok(match v {
                    Value::Scalar(s) if signed => number(s),
                    v => v,
                })
            }
            PtrKind::Ctx => {
                let spec = &self.env.settings.context;
                let full = spec.layout.and_then(|l| l.packet);
                // `data_meta`: the metadata before the packet, read from its full-width copy.
                if let (Some(layout), Some(full), Some(base_at)) = (spec.layout, full, p.fixed())
                    && let Ok(o) = u32::try_from(base_at + i64::from(off))
                    && layout
                        .field_at(o, bytes)
                        .is_some_and(|f| f.kind == FieldKind::PacketMeta && f.offset == o)
                {
                    self.record_context_load(pc, Some(i64::from(full.data_meta) - base_at))?;
                    return Ok(Value::Ptr(Ptr::at(PtrKind::PacketMeta, 0)));
                }
                if let (Some(pf), Some(base_at)) = (spec.packet, p.fixed()) {
                    let o = base_at + i64::from(off);
                    let found = if bytes == pf.width && o == i64::from(pf.data) {
                        Some((PtrKind::Packet, full.map(|f| f.data)))
                    } else if bytes == pf.width && o == i64::from(pf.data_end) {
                        Some((PtrKind::PacketEnd, full.map(|f| f.data_end)))
                    } else {
                        None
                    };
                    if let Some((kind, at)) = found {
                        if let Some(at) = at {
                            // The instruction's offset from its base register.
                            self.record_context_load(pc, Some(i64::from(at) - base_at))?;
                        }
                        return Ok(Value::Ptr(Ptr::at(kind, 0)));
                    }
                }
                if full.is_some() {
                    self.record_context_load(pc, None)?;
                }
                // The context's socket (`__sk_buff.sk`): its address, as the host put it there.
                if let (Some(layout), Some(base_at)) = (spec.layout, p.fixed())
                    && let Ok(o) = u32::try_from(base_at + i64::from(off))
                    && let Some(f) = layout.field_at(o, bytes).filter(|f| f.offset == o)
                {
                    let socket = |part, nullable| {
                        Value::Ptr(Ptr {
                            nullable,
                            ..Ptr::at(PtrKind::Socket { part }, 0)
                        })
                    };
                    match f.kind {
                        FieldKind::SockCommonOrNull => return Ok(socket(SockPart::Common, true)),
                        FieldKind::SocketOrNull => return Ok(socket(SockPart::Full, true)),
                        FieldKind::Socket => return Ok(socket(SockPart::Full, false)),
                        _ => {}
                    }
                }
                if self.reaches_packet_fields(span.lo, span.hi)
                    && !self.env.settings.allow_pointer_leaks
                {
                    return Err(self.leak(
                        pc,
                        format!(
                            "reading part of the context's packet pointers as a number (through \
                             r{} = {})",
                            base.idx(),
                            Value::Ptr(p)
                        ),
                    ));
                }
                Ok(number(Scalar::of_size(bytes)))
            }
            _ => Ok(number(Scalar::of_size(bytes))),
        }
    }

    /// Refuses a write through `what` into the packet's `part` (its data or metadata) when the
    /// program type gives programs a read-only packet.
    fn packet_writable(&self, pc: usize, what: &str, part: &str) -> Result<(), VerifyError> {
        match &self.env.settings.context.layout {
            Some(layout) if !layout.packet_writable => Err(self.error(
                pc,
                format!(
                    "{what}: the {part} is read-only to programs over a {}",
                    layout.name
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Whether context bytes `lo..hi` overlap the fields holding the packet pointers.
    pub(crate) fn reaches_packet_fields(&self, lo: i64, hi: i64) -> bool {
        self.env.settings.context.packet.is_some_and(|pf| {
            [pf.data, pf.data_end].iter().any(|&f| {
                let (f, w) = (i64::from(f), i64::from(pf.width));
                lo < f + w && f < hi
            })
        })
    }

    /// `st`/`stx` of `v`.
    pub(crate) fn store(
        &mut self,
        pc: usize,
        st: &mut State,
        base: Reg,
        off: i16,
        size: Size,
        v: Value,
    ) -> Result<(), VerifyError> {
        let (p, span, bytes) = self.insn_access(pc, st, base, off, size, Dir::Write)?;
        match p.kind {
            PtrKind::Stack { frame } => {
                self.stack_write(pc, st, frame, &span, p.fixed().is_some(), bytes, v)
            }
            _ if v.is_ptr() && !self.env.settings.allow_pointer_leaks => {
                Err(self.leak(pc, format!("storing {v} into {} memory", p.kind)))
            }
            _ => Ok(()),
        }
    }

    /// An atomic read-modify-write.
    #[allow(clippy::too_many_arguments, reason = "the instruction's fields")]
    pub(crate) fn atomic(
        &mut self,
        pc: usize,
        st: &mut State,
        size: Size,
        op: AtomicOp,
        dst: Reg,
        src: Reg,
        off: i16,
    ) -> Result<(), VerifyError> {
        let v = self.read(pc, st, src)?;
        if v.is_ptr() {
            return Err(self.leak(pc, format!("an atomic operation with r{} = {v}", src.idx())));
        }
        if op == AtomicOp::CmpXchg {
            match self.read(pc, st, Reg::R0)? {
                Value::Scalar(_) => {}
                r0 => return Err(self.leak(pc, format!("cmpxchg comparing r0 = {r0}"))),
            }
        }
        let (p, span, bytes) = self.insn_access(pc, st, dst, off, size, Dir::Write)?;
        if let PtrKind::Stack { frame } = p.kind {
            self.stack_read(pc, st, frame, &span, false, bytes)?;
            self.stack_write(pc, st, frame, &span, false, bytes, Value::UNKNOWN)?;
        }
        let old = Value::Scalar(Scalar::of_size(bytes));
        match op {
            AtomicOp::CmpXchg => st.set_reg(0, old),
            o if o.fetches() => st.set_reg(src.idx(), old),
            _ => {}
        }
        Ok(())
    }

    /// Reads `bytes` at `span` of frame `frame`'s stack.
    pub(crate) fn stack_read(
        &self,
        pc: usize,
        st: &State,
        frame: u8,
        span: &Span,
        fixed: bool,
        bytes: u32,
    ) -> Result<Value, VerifyError> {
        let stack = &st.frames[frame as usize].stack;
        if fixed {
            let (s, at) = Stack::locate(span.lo);
            let slot = stack.slot(s);
            if slot.spill != Value::Uninit && u32::from(slot.at) == at {
                match slot.spill {
                    v if u32::from(slot.len) == bytes => return Ok(v),
                    // The low bytes of a wider spilled number.
                    Value::Scalar(v) if bytes < u32::from(slot.len) => {
                        return Ok(Value::Scalar(v.truncate(bytes)));
                    }
                    _ => {}
                }
            }
        }
        for off in span.lo..span.hi {
            if !stack.byte_init(off) {
                return Err(self.error(
                    pc,
                    format!(
                        "reads fp{frame}{off:+}, a stack byte not written on this path{}",
                        if fixed {
                            ""
                        } else {
                            " (the offset is variable)"
                        }
                    ),
                ));
            }
        }
        self.no_pointer_in(pc, stack, span, "reading")?;
        Ok(Value::Scalar(Scalar::of_size(bytes)))
    }

    /// Checks that a helper may read the bytes at `span` of frame `frame`'s stack as bytes:
    /// each was written, and none belongs to a spilled pointer (unless leaks are allowed).
    fn stack_bytes(
        &self,
        pc: usize,
        st: &State,
        frame: u8,
        span: &Span,
    ) -> Result<(), VerifyError> {
        let stack = &st.frames[frame as usize].stack;
        if let Some(off) = (span.lo..span.hi).find(|&off| !stack.byte_init(off)) {
            return Err(self.error(
                pc,
                format!("reads fp{frame}{off:+}, a stack byte not written on this path"),
            ));
        }
        self.no_pointer_in(pc, stack, span, "a helper reading")
    }

    /// Rejects an access to part of a spilled pointer (unless leaks are allowed).
    fn no_pointer_in(
        &self,
        pc: usize,
        stack: &Stack,
        span: &Span,
        what: &str,
    ) -> Result<(), VerifyError> {
        if self.env.settings.allow_pointer_leaks {
            return Ok(());
        }
        for s in span.slots() {
            if let v @ Value::Ptr(_) = stack.slot(s).spill {
                return Err(self.leak(
                    pc,
                    format!(
                        "{what} part of the spilled {v} at fp{}",
                        -8 * (s as i64 + 1)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Writes `v` (`bytes` wide) at `span` of frame `frame`'s stack.
    #[allow(clippy::too_many_arguments, reason = "the access and the value")]
    pub(crate) fn stack_write(
        &self,
        pc: usize,
        st: &mut State,
        frame: u8,
        span: &Span,
        fixed: bool,
        bytes: u32,
        v: Value,
    ) -> Result<(), VerifyError> {
        if fixed && bytes == 8 && span.lo % 8 == 0 {
            let slot = st.frames[frame as usize]
                .stack
                .slot_mut(Stack::locate(span.lo).0);
            *slot = Slot {
                init: 0xff,
                spill: v,
                at: 0,
                len: 8,
            };
            return Ok(());
        }
        if let (true, Value::Scalar(s)) = (fixed && span.lo % i64::from(bytes) == 0, v) {
            // A narrow spill: the number's low bytes, read back by a load of the same width.
            self.clear_spills(pc, st, frame, span)?;
            let stack = &mut st.frames[frame as usize].stack;
            for off in span.lo..span.hi {
                stack.set_init(off);
            }
            let (i, at) = Stack::locate(span.lo);
            let slot = stack.slot_mut(i);
            slot.spill = Value::Scalar(s.truncate(bytes));
            slot.at = at as u8;
            slot.len = bytes as u8;
            return Ok(());
        }
        if v.is_ptr() && !self.env.settings.allow_pointer_leaks {
            return Err(self.leak(
                pc,
                format!("storing {v} in {bytes} bytes or at an unaligned or variable stack offset"),
            ));
        }
        self.clear_spills(pc, st, frame, span)?;
        let stack = &mut st.frames[frame as usize].stack;
        if fixed {
            for off in span.lo..span.hi {
                stack.set_init(off);
            }
        }
        Ok(())
    }

    /// Forgets the registers spilled where `span` writes (a pointer only if leaks are allowed).
    fn clear_spills(
        &self,
        pc: usize,
        st: &mut State,
        frame: u8,
        span: &Span,
    ) -> Result<(), VerifyError> {
        self.no_pointer_in(pc, &st.frames[frame as usize].stack, span, "overwriting")?;
        let stack = &mut st.frames[frame as usize].stack;
        for s in span.slots() {
            stack.slot_mut(s).forget_spill();
        }
        Ok(())
    }

    /// Checks memory a helper reads (initialised bytes, no spilled pointer) or writes (and then
    /// marks it initialised): `len` bytes, `len_min` of them for certain, at pointer `p`, its
    /// argument `arg`.
    pub(crate) fn helper_mem(
        &mut self,
        pc: usize,
        st: &mut State,
        p: &Ptr,
        arg: &MemArg,
        len_min: u64,
        len: u64,
    ) -> Result<(), VerifyError> {
        if len == 0 {
            return Ok(());
        }
        let what = REG_NAMES[arg.reg.idx()];
        let dir = if arg.write { Dir::Write } else { Dir::Read };
        let span = self.check_access(pc, st, p, what, 0, len, dir)?;
        // Helpers reach memory through the run's regions: an argument into the context that is
        // not proven is checked against the context before the call.
        self.record_arg(pc, arg, span.proven, p.kind == PtrKind::Ctx)?;
        if let PtrKind::Stack { frame } = p.kind {
            match dir {
                Dir::Read => {
                    // Bytes, never a spilled register: the helper may copy them out.
                    self.stack_bytes(pc, st, frame, &span)?;
                }
                Dir::Write => {
                    self.clear_spills(pc, st, frame, &span)?;
                    let stack = &mut st.frames[frame as usize].stack;
                    if p.fixed().is_some() {
                        for off in span.lo..span.lo + len_min as i64 {
                            stack.set_init(off);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
