//! The run loop: one `match` per op over a flat array, registers in a local array, memory through
//! the shared [`MemoryMap`]. No `unsafe`.

use crate::ops::{Op, Ops};
use oxbpf_core::isa::{AluOp, AtomicOp, Cond, Size, Width};
use oxbpf_core::memory::AtomicRmw;
use oxbpf_core::{
    Access, ArgLen, Execution, HelperContext, HelperFn, HelperRegistry, HelperStop, MemoryMap,
    Program, StackBuffer, Trap, TrapKind,
};

/// Saved state of a caller during a local call.
struct Frame {
    ret: usize,
    saved: [u64; 4],
    fp: u64,
}

/// Why the loop stopped early.
enum Stop {
    Trap(TrapKind),
    Exit(u64),
}

impl From<TrapKind> for Stop {
    fn from(k: TrapKind) -> Stop {
        Stop::Trap(k)
    }
}

#[inline(always)]
fn addr(base: u64, off: i16) -> u64 {
    base.wrapping_add(i64::from(off) as u64)
}

/// Calls helper `id` with r1–r5; its value for r0, or how the run stops.
fn call_helper(
    f: &HelperFn,
    id: u32,
    mem: &mut MemoryMap<'_>,
    regs: &[u64; 16],
) -> Result<u64, Stop> {
    let args = [regs[1], regs[2], regs[3], regs[4], regs[5]];
    f(&mut HelperContext { memory: mem }, args).map_err(|stop| match stop {
        HelperStop::Exit(v) => Stop::Exit(v),
        HelperStop::Error(message) => Stop::Trap(TrapKind::HelperError { id, message }),
    })
}

/// The out-of-bounds trap of `len` bytes at `a` when they do not all lie in the context of
/// `ctx_len` bytes at `ctx_addr` (what a verified program's unproven accesses and helper
/// arguments are checked against).
#[inline(always)]
fn outside_context(a: u64, len: u64, write: bool, ctx_addr: u64, ctx_len: u64) -> Option<TrapKind> {
    let rel = a.wrapping_sub(ctx_addr);
    (rel >= ctx_len || ctx_len - rel < len).then_some(TrapKind::OutOfBounds {
        addr: a,
        len,
        access: if write { Access::Write } else { Access::Read },
    })
}

/// A little-endian value of `size` bytes read as network (big-endian) byte order.
fn swap_be(v: u64, size: Size) -> u64 {
    match size {
        Size::B => v,
        Size::H => u64::from((v as u16).swap_bytes()),
        Size::W => u64::from((v as u32).swap_bytes()),
        Size::DW => v.swap_bytes(),
    }
}

fn sign_extend(v: u64, size: Size) -> u64 {
    match size {
        Size::B => i64::from(v as i8) as u64,
        Size::H => i64::from(v as i16) as u64,
        Size::W => i64::from(v as i32) as u64,
        Size::DW => v,
    }
}

fn rmw(op: AtomicOp, r0: u64) -> AtomicRmw {
    match op {
        AtomicOp::Add | AtomicOp::FetchAdd => AtomicRmw::Add,
        AtomicOp::Or | AtomicOp::FetchOr => AtomicRmw::Or,
        AtomicOp::And | AtomicOp::FetchAnd => AtomicRmw::And,
        AtomicOp::Xor | AtomicOp::FetchXor => AtomicRmw::Xor,
        AtomicOp::Xchg => AtomicRmw::Xchg,
        AtomicOp::CmpXchg => AtomicRmw::CmpXchg(r0),
    }
}

/// Runs translated ops on `ctx`.
pub(crate) fn run(
    code: &Ops,
    program: &Program,
    registry: &HelperRegistry,
    ctx: &mut [u8],
    stack: &mut StackBuffer,
) -> Execution {
    let config = program.config();
    let budget = config.instruction_budget.unwrap_or(u64::MAX);
    let mut remaining = budget;
    let frame = config.stack_frame_size as u64;
    let ctx_addr = ctx.as_ptr() as u64;
    let ctx_len = ctx.len() as u64;
    let packet = program.packet_pointers();
    let mut mem = MemoryMap::for_run(ctx, stack, program);
    let mut regs = [0u64; 16];
    regs[1] = ctx_addr;
    regs[2] = ctx_len;
    regs[10] = mem.stack_top();

    // Allocated at the first local call only: most programs make none.
    let mut frames: Vec<Frame> = Vec::new();
    let ops = &code.ops[..];
    let mut ip = 0usize;

    macro_rules! r {
        ($x:expr) => {
            regs[($x & 15) as usize]
        };
    }
    macro_rules! w32 {
        ($d:expr, $v:expr) => {
            regs[($d & 15) as usize] = u64::from($v as u32)
        };
    }
    macro_rules! jump {
        ($c:expr, $t:expr) => {
            if $c {
                ip = $t as usize;
            }
        };
    }

    let stop: Stop = 'run: loop {
        let Some(&op) = ops.get(ip) else {
            // Unreachable for checked programs (every function ends in exit or ja).
            break 'run Stop::Trap(TrapKind::OutOfBounds {
                addr: ip as u64,
                len: 0,
                access: Access::Read,
            });
        };
        ip += 1;
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(fault) => break 'run Stop::Trap(TrapKind::from(fault)),
                }
            };
        }
        match op {
            Op::Charge(cost) => {
                let cost = u64::from(cost);
                if cost > remaining {
                    break 'run Stop::Trap(TrapKind::BudgetExhausted);
                }
                remaining -= cost;
            }

            Op::Add64Imm(d, v) => r!(d) = AluOp::Add.value64(r!(d), v),
            Op::Add64Reg(d, s) => r!(d) = AluOp::Add.value64(r!(d), r!(s)),
            Op::Sub64Imm(d, v) => r!(d) = AluOp::Sub.value64(r!(d), v),
            Op::Sub64Reg(d, s) => r!(d) = AluOp::Sub.value64(r!(d), r!(s)),
            Op::Mul64Imm(d, v) => r!(d) = AluOp::Mul.value64(r!(d), v),
            Op::Mul64Reg(d, s) => r!(d) = AluOp::Mul.value64(r!(d), r!(s)),
            Op::Div64Imm(d, v) => r!(d) = AluOp::Div.value64(r!(d), v),
            Op::Div64Reg(d, s) => r!(d) = AluOp::Div.value64(r!(d), r!(s)),
            Op::SDiv64Imm(d, v) => r!(d) = AluOp::SDiv.value64(r!(d), v),
            Op::SDiv64Reg(d, s) => r!(d) = AluOp::SDiv.value64(r!(d), r!(s)),
            Op::Mod64Imm(d, v) => r!(d) = AluOp::Mod.value64(r!(d), v),
            Op::Mod64Reg(d, s) => r!(d) = AluOp::Mod.value64(r!(d), r!(s)),
            Op::SMod64Imm(d, v) => r!(d) = AluOp::SMod.value64(r!(d), v),
            Op::SMod64Reg(d, s) => r!(d) = AluOp::SMod.value64(r!(d), r!(s)),
            Op::Or64Imm(d, v) => r!(d) = AluOp::Or.value64(r!(d), v),
            Op::Or64Reg(d, s) => r!(d) = AluOp::Or.value64(r!(d), r!(s)),
            Op::And64Imm(d, v) => r!(d) = AluOp::And.value64(r!(d), v),
            Op::And64Reg(d, s) => r!(d) = AluOp::And.value64(r!(d), r!(s)),
            Op::Xor64Imm(d, v) => r!(d) = AluOp::Xor.value64(r!(d), v),
            Op::Xor64Reg(d, s) => r!(d) = AluOp::Xor.value64(r!(d), r!(s)),
            Op::Lsh64Imm(d, v) => r!(d) = AluOp::Lsh.value64(r!(d), v),
            Op::Lsh64Reg(d, s) => r!(d) = AluOp::Lsh.value64(r!(d), r!(s)),
            Op::Rsh64Imm(d, v) => r!(d) = AluOp::Rsh.value64(r!(d), v),
            Op::Rsh64Reg(d, s) => r!(d) = AluOp::Rsh.value64(r!(d), r!(s)),
            Op::Arsh64Imm(d, v) => r!(d) = AluOp::Arsh.value64(r!(d), v),
            Op::Arsh64Reg(d, s) => r!(d) = AluOp::Arsh.value64(r!(d), r!(s)),
            Op::Mov64Imm(d, v) => r!(d) = AluOp::Mov.value64(r!(d), v),
            Op::Mov64Reg(d, s) => r!(d) = AluOp::Mov.value64(r!(d), r!(s)),

            Op::Add32Imm(d, v) => w32!(d, AluOp::Add.value32(r!(d) as u32, v)),
            Op::Add32Reg(d, s) => w32!(d, AluOp::Add.value32(r!(d) as u32, r!(s) as u32)),
            Op::Sub32Imm(d, v) => w32!(d, AluOp::Sub.value32(r!(d) as u32, v)),
            Op::Sub32Reg(d, s) => w32!(d, AluOp::Sub.value32(r!(d) as u32, r!(s) as u32)),
            Op::Mul32Imm(d, v) => w32!(d, AluOp::Mul.value32(r!(d) as u32, v)),
            Op::Mul32Reg(d, s) => w32!(d, AluOp::Mul.value32(r!(d) as u32, r!(s) as u32)),
            Op::Div32Imm(d, v) => w32!(d, AluOp::Div.value32(r!(d) as u32, v)),
            Op::Div32Reg(d, s) => w32!(d, AluOp::Div.value32(r!(d) as u32, r!(s) as u32)),
            Op::SDiv32Imm(d, v) => w32!(d, AluOp::SDiv.value32(r!(d) as u32, v)),
            Op::SDiv32Reg(d, s) => w32!(d, AluOp::SDiv.value32(r!(d) as u32, r!(s) as u32)),
            Op::Mod32Imm(d, v) => w32!(d, AluOp::Mod.value32(r!(d) as u32, v)),
            Op::Mod32Reg(d, s) => w32!(d, AluOp::Mod.value32(r!(d) as u32, r!(s) as u32)),
            Op::SMod32Imm(d, v) => w32!(d, AluOp::SMod.value32(r!(d) as u32, v)),
            Op::SMod32Reg(d, s) => w32!(d, AluOp::SMod.value32(r!(d) as u32, r!(s) as u32)),
            Op::Or32Imm(d, v) => w32!(d, AluOp::Or.value32(r!(d) as u32, v)),
            Op::Or32Reg(d, s) => w32!(d, AluOp::Or.value32(r!(d) as u32, r!(s) as u32)),
            Op::And32Imm(d, v) => w32!(d, AluOp::And.value32(r!(d) as u32, v)),
            Op::And32Reg(d, s) => w32!(d, AluOp::And.value32(r!(d) as u32, r!(s) as u32)),
            Op::Xor32Imm(d, v) => w32!(d, AluOp::Xor.value32(r!(d) as u32, v)),
            Op::Xor32Reg(d, s) => w32!(d, AluOp::Xor.value32(r!(d) as u32, r!(s) as u32)),
            Op::Lsh32Imm(d, v) => w32!(d, AluOp::Lsh.value32(r!(d) as u32, v)),
            Op::Lsh32Reg(d, s) => w32!(d, AluOp::Lsh.value32(r!(d) as u32, r!(s) as u32)),
            Op::Rsh32Imm(d, v) => w32!(d, AluOp::Rsh.value32(r!(d) as u32, v)),
            Op::Rsh32Reg(d, s) => w32!(d, AluOp::Rsh.value32(r!(d) as u32, r!(s) as u32)),
            Op::Arsh32Imm(d, v) => w32!(d, AluOp::Arsh.value32(r!(d) as u32, v)),
            Op::Arsh32Reg(d, s) => w32!(d, AluOp::Arsh.value32(r!(d) as u32, r!(s) as u32)),
            Op::Mov32Imm(d, v) => w32!(d, AluOp::Mov.value32(r!(d) as u32, v)),
            Op::Mov32Reg(d, s) => w32!(d, AluOp::Mov.value32(r!(d) as u32, r!(s) as u32)),

            Op::MovSx(d, s, op, width) => r!(d) = op.value(width, 0, r!(s)),
            Op::Neg64(d) => r!(d) = r!(d).wrapping_neg(),
            Op::Neg32(d) => w32!(d, (r!(d) as u32).wrapping_neg()),
            Op::Endian(d, order, bits) => r!(d) = order.value(bits, r!(d)),

            Op::LdxB(d, s, off) => r!(d) = tri!(mem.load(addr(r!(s), off), Size::B)),
            Op::LdxH(d, s, off) => r!(d) = tri!(mem.load(addr(r!(s), off), Size::H)),
            Op::LdxW(d, s, off) => r!(d) = tri!(mem.load(addr(r!(s), off), Size::W)),
            Op::LdxDW(d, s, off) => r!(d) = tri!(mem.load(addr(r!(s), off), Size::DW)),
            Op::Ldxs(d, s, off, size) => {
                r!(d) = sign_extend(tri!(mem.load(addr(r!(s), off), size)), size)
            }
            Op::ProbeLd(d, s, off, size, signed) => {
                let v = mem.probe_load(addr(r!(s), off), size);
                r!(d) = if signed { sign_extend(v, size) } else { v }
            }
            Op::StB(d, off, v) => tri!(mem.store(addr(r!(d), off), Size::B, v)),
            Op::StH(d, off, v) => tri!(mem.store(addr(r!(d), off), Size::H, v)),
            Op::StW(d, off, v) => tri!(mem.store(addr(r!(d), off), Size::W, v)),
            Op::StDW(d, off, v) => tri!(mem.store(addr(r!(d), off), Size::DW, v)),
            Op::StxB(d, s, off) => tri!(mem.store(addr(r!(d), off), Size::B, r!(s))),
            Op::StxH(d, s, off) => tri!(mem.store(addr(r!(d), off), Size::H, r!(s))),
            Op::StxW(d, s, off) => tri!(mem.store(addr(r!(d), off), Size::W, r!(s))),
            Op::StxDW(d, s, off) => tri!(mem.store(addr(r!(d), off), Size::DW, r!(s))),
            Op::Atomic(d, s, off, size, op) => {
                let old = tri!(mem.atomic(addr(r!(d), off), size, rmw(op, r!(0)), r!(s)));
                match op {
                    AtomicOp::CmpXchg => r!(0) = old,
                    o if o.fetches() => r!(s) = old,
                    _ => {}
                }
            }
            Op::CtxOnly(b, off, len, write) => {
                let a = addr(r!(b), off);
                if let Some(t) = outside_context(a, u64::from(len), write, ctx_addr, ctx_len) {
                    break 'run Stop::Trap(t);
                }
            }
            Op::CtxArg(p, len, write) => {
                let len = match len {
                    ArgLen::Reg(r) => r!(r.index()),
                    ArgLen::Const(n) => u64::from(n),
                };
                // A helper given no bytes reaches nothing.
                if len > 0
                    && let Some(t) = outside_context(r!(p), len, write, ctx_addr, ctx_len)
                {
                    break 'run Stop::Trap(t);
                }
            }
            Op::LdImm64(d, v) => r!(d) = v,
            Op::LdPacket(ind, imm, size) => {
                if let Some(p) = packet {
                    // A socket filter's or traffic-control program's legacy load reads the packet
                    // at a 32-bit offset; outside it, the program ends with 0.
                    let data = tri!(mem.load(ctx_addr.wrapping_add(u64::from(p.data)), Size::DW));
                    let end =
                        tri!(mem.load(ctx_addr.wrapping_add(u64::from(p.data_end)), Size::DW));
                    let base = ind.map_or(0, |s| r!(s));
                    let off = base.wrapping_add(i64::from(imm) as u64) as u32 as i32;
                    let len = size.bytes() as u64;
                    match u64::try_from(off) {
                        Ok(off) if end.wrapping_sub(data) >= off + len => {
                            let v = tri!(mem.load(data + off, size));
                            r!(0) = swap_be(v, size);
                        }
                        _ if frames.is_empty() => break 'run Stop::Exit(0),
                        _ => {
                            break 'run Stop::Trap(TrapKind::OutOfBounds {
                                addr: data.wrapping_add(off as i64 as u64),
                                len,
                                access: Access::Read,
                            });
                        }
                    }
                } else {
                    let base = ind.map_or(0, |s| r!(s));
                    let off = base.wrapping_add(i64::from(imm) as u64);
                    let len = size.bytes() as u64;
                    let a = ctx_addr.wrapping_add(off);
                    if off > ctx_len || ctx_len - off < len {
                        break 'run Stop::Trap(TrapKind::OutOfBounds {
                            addr: a,
                            len,
                            access: Access::Read,
                        });
                    }
                    let v = tri!(mem.load(a, size));
                    r!(0) = swap_be(v, size);
                }
            }

            Op::Ja(t) => ip = t as usize,
            Op::Jeq64Imm(d, v, t) => jump!(Cond::Eq.holds(Width::W64, r!(d), v), t),
            Op::Jeq64Reg(d, s, t) => jump!(Cond::Eq.holds(Width::W64, r!(d), r!(s)), t),
            Op::Jne64Imm(d, v, t) => jump!(Cond::Ne.holds(Width::W64, r!(d), v), t),
            Op::Jne64Reg(d, s, t) => jump!(Cond::Ne.holds(Width::W64, r!(d), r!(s)), t),
            Op::Jgt64Imm(d, v, t) => jump!(Cond::Gt.holds(Width::W64, r!(d), v), t),
            Op::Jgt64Reg(d, s, t) => jump!(Cond::Gt.holds(Width::W64, r!(d), r!(s)), t),
            Op::Jge64Imm(d, v, t) => jump!(Cond::Ge.holds(Width::W64, r!(d), v), t),
            Op::Jge64Reg(d, s, t) => jump!(Cond::Ge.holds(Width::W64, r!(d), r!(s)), t),
            Op::Jlt64Imm(d, v, t) => jump!(Cond::Lt.holds(Width::W64, r!(d), v), t),
            Op::Jlt64Reg(d, s, t) => jump!(Cond::Lt.holds(Width::W64, r!(d), r!(s)), t),
            Op::Jle64Imm(d, v, t) => jump!(Cond::Le.holds(Width::W64, r!(d), v), t),
            Op::Jle64Reg(d, s, t) => jump!(Cond::Le.holds(Width::W64, r!(d), r!(s)), t),
            Op::Jset64Imm(d, v, t) => jump!(Cond::Set.holds(Width::W64, r!(d), v), t),
            Op::Jset64Reg(d, s, t) => jump!(Cond::Set.holds(Width::W64, r!(d), r!(s)), t),
            Op::Jsgt64Imm(d, v, t) => jump!(Cond::Sgt.holds(Width::W64, r!(d), v), t),
            Op::Jsgt64Reg(d, s, t) => jump!(Cond::Sgt.holds(Width::W64, r!(d), r!(s)), t),
            Op::Jsge64Imm(d, v, t) => jump!(Cond::Sge.holds(Width::W64, r!(d), v), t),
            Op::Jsge64Reg(d, s, t) => jump!(Cond::Sge.holds(Width::W64, r!(d), r!(s)), t),
            Op::Jslt64Imm(d, v, t) => jump!(Cond::Slt.holds(Width::W64, r!(d), v), t),
            Op::Jslt64Reg(d, s, t) => jump!(Cond::Slt.holds(Width::W64, r!(d), r!(s)), t),
            Op::Jsle64Imm(d, v, t) => jump!(Cond::Sle.holds(Width::W64, r!(d), v), t),
            Op::Jsle64Reg(d, s, t) => jump!(Cond::Sle.holds(Width::W64, r!(d), r!(s)), t),
            Op::Jmp32Imm(c, d, v, t) => jump!(c.holds(Width::W32, r!(d), u64::from(v)), t),
            Op::Jmp32Reg(c, d, s, t) => jump!(c.holds(Width::W32, r!(d), r!(s)), t),

            Op::Add64RegFrom(d, a, b) => r!(d) = AluOp::Add.value64(r!(a), r!(b)),
            Op::Add64ImmFrom(d, a, v) => r!(d) = AluOp::Add.value64(r!(a), v),
            Op::Lsh64ImmFrom(d, a, v) => r!(d) = AluOp::Lsh.value64(r!(a), v),
            Op::Rsh64ImmFrom(d, a, v) => r!(d) = AluOp::Rsh.value64(r!(a), v),
            Op::And64ImmFrom(d, a, v) => r!(d) = AluOp::And.value64(r!(a), v),
            Op::AddJmpImm(d, add, c, cmp, t) => {
                let v = AluOp::Add.value64(r!(d), i64::from(add) as u64);
                r!(d) = v;
                jump!(c.holds(Width::W64, v, i64::from(cmp) as u64), t);
            }

            Op::Call(idx) => {
                let Some((id, f)) = code.helpers.get(idx as usize) else {
                    // Translation resolves every direct call; this index always exists.
                    break 'run Stop::Trap(TrapKind::UnknownHelper { id: u64::from(idx) });
                };
                match call_helper(&**f, *id, &mut mem, &regs) {
                    Ok(v) => r!(0) = v,
                    Err(stop) => break 'run stop,
                }
            }
            Op::Callx(reg) => {
                let id = r!(reg);
                let Some(h) = u32::try_from(id).ok().and_then(|i| registry.get(i)) else {
                    break 'run Stop::Trap(TrapKind::UnknownHelper { id });
                };
                match call_helper(&*h.func, h.id, &mut mem, &regs) {
                    Ok(v) => r!(0) = v,
                    Err(stop) => break 'run stop,
                }
            }
            Op::CallLocal(t) => {
                if frames.len() + 1 >= config.max_call_depth {
                    break 'run Stop::Trap(TrapKind::CallDepthExceeded);
                }
                frames.push(Frame {
                    ret: ip,
                    saved: [r!(6), r!(7), r!(8), r!(9)],
                    fp: r!(10),
                });
                r!(10) = r!(10).wrapping_sub(frame);
                mem.set_stack_floor(r!(10).wrapping_sub(frame));
                ip = t as usize;
            }
            Op::Exit => match frames.pop() {
                None => break 'run Stop::Exit(r!(0)),
                Some(f) => {
                    [r!(6), r!(7), r!(8), r!(9)] = f.saved;
                    r!(10) = f.fp;
                    mem.set_stack_floor(f.fp.wrapping_sub(frame));
                    ip = f.ret;
                }
            },
        }
    };
    let instructions = config.reported_count(budget - remaining);
    let result = match stop {
        Stop::Exit(v) => Ok(v),
        Stop::Trap(kind) => {
            let pc = code.pcs.get(ip.wrapping_sub(1)).copied().unwrap_or(0) as usize;
            Err(Trap::new(pc, kind))
        }
    };
    Execution {
        result,
        instructions,
    }
}
