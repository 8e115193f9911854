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
//!
//! A scanning loop has no such bound: `while (*a && *a == *b) { a++; b++; }` stops on the data.
//! When its body is a chain of blocks that only leave the loop (side exits) until the last one
//! jumps back, and one register steps by 1 per iteration, [`analyse_scan`] finds the accesses at
//! invariant registers plus that register plus a constant. The translator then versions the loop
//! in chunks: a guard computes how many iterations from here keep every such access in the
//! context (`count - rel` for each, 0 if one is outside already). The fast copy, unrolled four
//! times, runs four iterations at a time with those accesses unchecked while at least four are
//! covered, counting down, and the guard runs again when fewer are left; with fewer than four
//! covered, one iteration runs in the checked copy, which returns to the guard. The side exits of
//! the fast copy go through cold blocks, so each iteration's path is straight but for one taken
//! branch per four iterations.

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

/// What one pass over a loop body knows at its end: each register as invariant registers plus a
/// constant (relative to the iteration's start), which registers the body writes, and the
/// context accesses `(pc, address, size)`.
struct Body {
    sym: [Option<Sym>; 11],
    written: [bool; 11],
    found: Vec<(usize, Sym, u32)>,
}

/// Runs the instructions `[start, last)` symbolically, entered with provenance `state`; `None`
/// if one is not [`allowed`] (conditional jumps are, when `side_exits`: they change no
/// register).
fn run_body(
    program: &Program,
    (start, last): (usize, usize),
    mut state: State,
    (frame, enabled): (i64, bool),
    side_exits: bool,
) -> Option<Body> {
    let insns = program.insns();
    let mut sym: [Option<Sym>; 11] = std::array::from_fn(|i| Reg::new(i as u8).map(Sym::reg));
    let mut written = [false; 11];
    let mut found: Vec<(usize, Sym, u32)> = Vec::new();
    for (pc, insn) in insns.iter().enumerate().take(last).skip(start) {
        if side_exits && matches!(insn, Insn::Jump { .. }) {
            step(&mut state, insn);
            continue;
        }
        // A probe load yields 0 where a checked load traps: it is never hoisted.
        if !allowed(insn) || program.is_probe(pc) {
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
    Some(Body {
        sym,
        written,
        found,
    })
}

/// The accesses of `found` whose address is invariant registers (not in `written`), plus at
/// most one `iv` (an address of `iv + iv` moves twice as fast as the guard assumes), plus a
/// constant.
fn hoistable(found: Vec<(usize, Sym, u32)>, iv: Reg, written: &[bool; 11]) -> Vec<Hoisted> {
    found
        .into_iter()
        .filter_map(|(pc, addr, size)| {
            let regs: Vec<Reg> = addr.regs.into_iter().flatten().collect();
            let ivs = regs.iter().filter(|&&r| r == iv).count();
            let with_iv = ivs == 1;
            let invariants: Vec<Reg> = regs.into_iter().filter(|&r| r != iv).collect();
            let invariant = ivs <= 1 && invariants.iter().all(|r| !written[r.idx()]);
            invariant.then_some(Hoisted {
                pc,
                invariants,
                with_iv,
                off: addr.off,
                size,
            })
        })
        .collect()
}

/// The counted loop formed by the block `[start, end)` of `program`, entered with provenance
/// `state`, if it is one and has context accesses to hoist.
pub(crate) fn analyse(
    program: &Program,
    (start, end): (usize, usize),
    state: State,
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
    let Body {
        sym,
        written,
        found,
    } = run_body(program, (start, last), state, (frame, enabled), false)?;
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
    let accesses = hoistable(found, iv, &written);
    (!accesses.is_empty()).then_some(CountedLoop {
        iv,
        step,
        bound,
        accesses,
    })
}

/// A scanning loop (see the module doc): the blocks of `[start, end)`, the last of which jumps
/// back to `start`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScanLoop {
    /// One past the loop's last instruction (its back edge).
    pub(crate) end: usize,
    /// The register stepped by 1 per iteration.
    pub(crate) iv: Reg,
    /// The accesses the guard covers.
    pub(crate) accesses: Vec<Hoisted>,
}

/// The most instructions a scanning loop may have.
const MAX_SCAN_BODY: usize = 64;

/// The scanning loop whose head is the block at `start` of the function `[start_fn, end_fn)`,
/// entered with provenance `state`, if there is one with context accesses to hoist.
pub(crate) fn analyse_scan(
    program: &Program,
    (start_fn, end_fn): (usize, usize),
    start: usize,
    state: State,
    frame: i64,
    enabled: bool,
) -> Option<ScanLoop> {
    let insns = program.insns();
    // The back edge: the first jump to `start` after it.
    let last = (start..end_fn.min(start + MAX_SCAN_BODY))
        .find(|&pc| insns[pc].jump_target(pc) == Some(start))?;
    let end = last + 1;
    // Every other jump of the body leaves the loop, and nothing outside enters it but at `start`.
    for (pc, insn) in insns.iter().enumerate().take(end_fn).skip(start_fn) {
        let Some(t) = insn.jump_target(pc) else {
            continue;
        };
        let inside = (start..end).contains(&pc);
        let into_body = (start + 1..end).contains(&t);
        if into_body || (inside && pc != last && (t == start || !matches!(insn, Insn::Jump { .. })))
        {
            return None;
        }
    }
    let Body {
        sym,
        written,
        found,
    } = run_body(program, (start, last), state, (frame, enabled), true)?;
    // The induction register: one stepped by exactly 1 that an access uses.
    let iv = (0..11u8).filter_map(Reg::new).find(|&r| {
        sym[r.idx()] == Sym::reg(r).plus(1)
            && found.iter().any(|(_, a, _)| a.regs.contains(&Some(r)))
    })?;
    let accesses = hoistable(found, iv, &written);
    (!accesses.is_empty()).then_some(ScanLoop { end, iv, accesses })
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

    /// strcmp of the halves, as clang emits it: the head at 3, a side exit at 7, the back edge
    /// at 10.
    const SCAN: &str = "mov %r0, 0\nrsh %r2, 1\nldxb %r3, [%r1+0]\n\
                        loop:\nmov %r4, %r1\nadd %r4, %r2\nldxb %r5, [%r4+0]\nmov %r6, %r3\n\
                        jne %r6, %r5, out\nldxb %r3, [%r1+1]\nadd %r1, 1\njne %r3, 0, loop\n\
                        out:\nexit";

    fn scan(src: &str, start: usize) -> Option<ScanLoop> {
        let p = Program::from_asm(src, &Config::default(), &HelperRegistry::new()).unwrap();
        let states = provenance(&p, 0, p.len());
        analyse_scan(&p, (0, p.len()), start, states[&start], 512, true)
    }

    #[test]
    fn a_scanning_loop_covers_both_strings() {
        let l = scan(SCAN, 3).expect("scanning loop");
        assert_eq!((l.end, l.iv), (11, r(1)));
        let found: Vec<(usize, Vec<Reg>, bool, i64)> = l
            .accesses
            .iter()
            .map(|a| (a.pc, a.invariants.clone(), a.with_iv, a.off))
            .collect();
        assert_eq!(found, [(5, vec![r(2)], true, 0), (8, vec![], true, 1)]);
    }

    #[test]
    fn scans_entered_mid_body_or_stepping_by_two_are_not_versioned() {
        // A jump from before the loop into its second block.
        let entered = SCAN
            .replace(
                "ldxb %r3, [%r1+0]\n",
                "ldxb %r3, [%r1+0]\njeq %r3, 1, mid\n",
            )
            .replace("ldxb %r3, [%r1+1]", "mid:\nldxb %r3, [%r1+1]");
        assert_eq!(scan(&entered, 4), None);
        let by_two = SCAN.replace("add %r1, 1\n", "add %r1, 2\n");
        assert_eq!(scan(&by_two, 3), None);
    }

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
    fn an_address_of_the_induction_register_twice_is_not_hoisted() {
        // r6 = r5 + r5 moves by two per iteration: the guard, which checks the first and last
        // value of r5 once, does not cover it. The other access still is.
        let twice = COPY.replace(
            "mov %r6, %r1\nadd %r6, %r5\n",
            "mov %r6, %r5\nadd %r6, %r5\n",
        );
        let l = counted(&twice, 5, 13).expect("counted loop");
        let pcs: Vec<usize> = l.accesses.iter().map(|a| a.pc).collect();
        assert_eq!(pcs, [10]);
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
