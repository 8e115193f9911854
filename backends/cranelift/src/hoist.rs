//! Bounds checks hoisted out of counted loops, by loop versioning.
//!
//! A loop that is one basic block jumping back to itself, with an induction register `v` stepped
//! by a positive constant and tested against a bound the loop does not change (`add r5, 1;
//! jgt r3, r5, loop`, the shape compilers give `for (i = ...; i < n; i++)`), touches the context
//! at addresses `base + v + k` whose whole range is known before the loop starts: `v` runs from
//! its entry value `v0` to `n - 1`. [`analyse`] finds such loops and the accesses whose address is
//! invariant registers plus at most `v` plus a constant.
//!
//! The translator then emits the loop twice. A guard on every entry from outside tests, once,
//! that `v0 < n`, that stepping cannot wrap, and that for each such access the first and the last
//! address lie in the context in that order; if all hold, the loop runs in a copy where those
//! accesses carry no check at all, and otherwise in the ordinary copy that checks every access.
//! Both copies charge the budget identically and the fast copy cannot fault, so results, traps
//! and counts are those of the interpreter either way.

use crate::bounds::{CheckKind, plain_access, plan};
use crate::provenance::{State, step};
use oxbpf_core::isa::{AluOp, Cond, Operand, Width};
use oxbpf_core::{Insn, Program, Reg};

/// A value as invariant registers (at most two) plus a constant, relative to the values the
/// registers hold when an iteration starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sym {
    regs: [Option<Reg>; 2],
    off: i64,
}

impl Sym {
    fn reg(r: Reg) -> Sym {
        Sym {
            regs: [Some(r), None],
            off: 0,
        }
    }

    fn plus(self, k: i64) -> Option<Sym> {
        Some(Sym {
            off: self.off.checked_add(k)?,
            ..self
        })
    }

    fn add(self, other: Sym) -> Option<Sym> {
        let mut regs = self.regs;
        for r in other.regs.into_iter().flatten() {
            *regs.iter_mut().find(|s| s.is_none())? = Some(r);
        }
        Some(Sym {
            regs,
            off: self.off.checked_add(other.off)?,
        })
    }

    fn is_reg_plus(&self, r: Reg) -> bool {
        self.regs == [Some(r), None]
    }
}

/// One access whose checks the fast copy drops: the address is the sum of `invariants` (their
/// values at loop entry), plus the induction register if `with_iv`, plus `off`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Hoisted {
    /// The accessing instruction.
    pub(crate) pc: usize,
    /// Invariant registers summed into the address.
    pub(crate) invariants: Vec<Reg>,
    /// Whether the induction register is part of the address.
    pub(crate) with_iv: bool,
    /// The constant part of the address.
    pub(crate) off: i64,
    /// Access size in bytes.
    pub(crate) size: u32,
}

/// A counted single-block loop (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CountedLoop {
    /// The induction register.
    pub(crate) iv: Reg,
    /// Its step per iteration (positive).
    pub(crate) step: i64,
    /// The bound the induction register stays below.
    pub(crate) bound: Operand,
    /// The accesses checked once, before the loop.
    pub(crate) accesses: Vec<Hoisted>,
}

/// Whether an instruction may appear in a versioned loop body: no calls, no atomics, no legacy
/// packet loads (whose traps and clobbers the analysis does not model), no control flow.
fn allowed(insn: &Insn) -> bool {
    matches!(
        insn,
        Insn::Alu { .. }
            | Insn::Neg { .. }
            | Insn::Endian { .. }
            | Insn::Load { .. }
            | Insn::Store { .. }
            | Insn::LoadImm64 { .. }
            | Insn::LoadImm64Tail
    )
}

/// The counted loop formed by the block `[start, end)` of `program`, entered with provenance
/// `state`, if it is one and has context accesses to hoist.
pub(crate) fn analyse(
    program: &Program,
    (start, end): (usize, usize),
    mut state: State,
    frame: i64,
    enabled: bool,
) -> Option<CountedLoop> {
    let insns = program.insns();
    let last = end.checked_sub(1).filter(|&l| l > start)?;
    let Insn::Jump {
        width: Width::W64,
        cond,
        dst,
        src,
        ..
    } = insns[last]
    else {
        return None;
    };
    if insns[last].target_index(last) != Some(start) {
        return None;
    }
    let mut sym: [Option<Sym>; 11] = std::array::from_fn(|i| Reg::new(i as u8).map(Sym::reg));
    let mut written = [false; 11];
    // (pc, address, size) of the context accesses.
    let mut found: Vec<(usize, Sym, u32)> = Vec::new();
    for (pc, insn) in insns.iter().enumerate().take(last).skip(start) {
        if !allowed(insn) {
            return None;
        }
        if let Some((base, off, size)) = plain_access(insn)
            && plan(state[base.idx()], off, size, frame, enabled) == CheckKind::Context
            && let Some(addr) = sym[base.idx()].and_then(|s| s.plus(i64::from(off)))
        {
            found.push((pc, addr, size));
        }
        let next = match *insn {
            Insn::Alu {
                width: Width::W64,
                op,
                dst,
                src,
            } => {
                let cur = sym[dst.idx()];
                match (op, src) {
                    (AluOp::Mov, Operand::Reg(s)) => sym[s.idx()],
                    (AluOp::Mov, Operand::Imm(i)) => Some(Sym {
                        regs: [None, None],
                        off: i64::from(i),
                    }),
                    (AluOp::Add, Operand::Imm(i)) => cur.and_then(|c| c.plus(i64::from(i))),
                    (AluOp::Sub, Operand::Imm(i)) => cur.and_then(|c| c.plus(-i64::from(i))),
                    (AluOp::Add, Operand::Reg(s)) => {
                        cur.zip(sym[s.idx()]).and_then(|(a, b)| a.add(b))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(d) = insn.written_reg() {
            sym[d.idx()] = next;
            written[d.idx()] = true;
        }
        step(&mut state, insn);
    }
    // The exit test: continue while `v + step < n` (the test after the step, as compilers emit).
    let (tested, bound) = match (cond, src) {
        (Cond::Gt, Operand::Reg(s)) => (sym[s.idx()]?, Operand::Reg(dst)),
        (Cond::Lt, bound) => (sym[dst.idx()]?, bound),
        _ => return None,
    };
    let iv = tested.regs[0]?;
    let step = tested.off;
    if !tested.is_reg_plus(iv) || step <= 0 || sym[iv.idx()] != Some(tested) {
        return None;
    }
    if let Operand::Reg(n) = bound
        && written[n.idx()]
    {
        return None;
    }
    let accesses: Vec<Hoisted> = found
        .into_iter()
        .filter_map(|(pc, addr, size)| {
            let regs: Vec<Reg> = addr.regs.into_iter().flatten().collect();
            let with_iv = regs.contains(&iv);
            let invariants: Vec<Reg> = regs.into_iter().filter(|&r| r != iv).collect();
            let invariant = invariants.iter().all(|r| !written[r.idx()]);
            invariant.then_some(Hoisted {
                pc,
                invariants,
                with_iv,
                off: addr.off,
                size,
            })
        })
        .collect();
    (!accesses.is_empty()).then_some(CountedLoop {
        iv,
        step,
        bound,
        accesses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::analyse as provenance;
    use oxbpf_core::{Config, HelperRegistry};

    fn r(n: u8) -> Reg {
        Reg::new(n).unwrap()
    }

    fn counted(src: &str, start: usize, end: usize) -> Option<CountedLoop> {
        let p = Program::from_asm(src, &Config::default(), &HelperRegistry::new()).unwrap();
        let states = provenance(&p, 0, p.len());
        analyse(&p, (start, end), states[&start], 512, true)
    }

    const COPY: &str = "mov %r3, %r2\nrsh %r3, 1\nmov %r4, %r1\nadd %r4, %r3\nmov %r5, 0\n\
                        loop:\nmov %r0, %r4\nadd %r0, %r5\nmov %r6, %r1\nadd %r6, %r5\n\
                        ldxb %r6, [%r6+0]\nstxb [%r0+0], %r6\nadd %r5, 1\njgt %r3, %r5, loop\n\
                        mov %r0, 0\nexit";

    #[test]
    fn a_copy_loop_hoists_both_accesses() {
        let l = counted(COPY, 5, 13).expect("counted loop");
        assert_eq!((l.iv, l.step, l.bound), (r(5), 1, Operand::Reg(r(3))));
        let pcs: Vec<usize> = l.accesses.iter().map(|a| a.pc).collect();
        assert_eq!(pcs, [9, 10]);
        assert_eq!(l.accesses[0].invariants, [r(1)]);
        assert_eq!(l.accesses[1].invariants, [r(4)]);
        assert!(l.accesses.iter().all(|a| a.with_iv && a.off == 0));
    }

    #[test]
    fn loops_that_change_their_bound_or_call_out_are_not_versioned() {
        // The bound r3 changes inside the loop.
        let moving = COPY.replace("add %r5, 1\n", "add %r5, 1\nadd %r3, 0\n");
        assert_eq!(counted(&moving, 5, 14), None);
        // A helper call inside the loop.
        let calls = COPY.replace("add %r5, 1\n", "add %r5, 1\ncall 1\n");
        let mut helpers = HelperRegistry::new();
        helpers.register(1, "noop", |_, _| Ok(0));
        let p = Program::from_asm(&calls, &Config::default(), &helpers).unwrap();
        let states = provenance(&p, 0, p.len());
        assert_eq!(analyse(&p, (5, 14), states[&5], 512, true), None);
        // Stepping down is not a counted loop of this shape.
        let down = COPY.replace("add %r5, 1\n", "add %r5, -1\n");
        assert_eq!(counted(&down, 5, 13), None);
        // A base register written in the loop keeps its access checked.
        let moving_base = COPY.replace("mov %r6, %r1\n", "add %r1, 0\nmov %r6, %r1\n");
        let l = counted(&moving_base, 5, 14).expect("counted loop");
        assert_eq!(l.accesses.iter().map(|a| a.pc).collect::<Vec<_>>(), [11]);
    }
}
