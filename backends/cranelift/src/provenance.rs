//! Where a register's value points, as far as the translator can tell: the context, the stack (at
//! an exactly known offset from `r10`, or somewhere), or unknown. Computed per function by a
//! forward data-flow pass over its basic blocks; [`crate::bounds`] uses it to pick the one region
//! an access is checked against, and to drop the check for stack slots of the current frame.
//!
//! Only [`Prov::Stack`] with a known offset is a proof (the value is exactly `r10 + k`: `r10` is
//! read-only and only `mov`, `add` and `sub` by constants preserve it); the other kinds are
//! predictions, and a wrong one only costs the slow path.

use oxbpf_core::isa::{AluOp, Operand, Width};
use oxbpf_core::{Insn, Program};
use std::collections::HashMap;

/// What a register points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prov {
    /// Nothing known.
    Unknown,
    /// Derived from the context pointer by pointer arithmetic.
    Ctx,
    /// Derived from `r10`; `Some(k)` when it is exactly `r10 + k`.
    Stack(Option<i64>),
}

/// The provenance of `r0`–`r10`.
pub(crate) type State = [Prov; 11];

/// The state at a function's entry: `r10` is the frame pointer, and in the program's entry
/// function `r1` is the context pointer.
pub(crate) fn entry_state(program_entry: bool) -> State {
    let mut s = [Prov::Unknown; 11];
    s[10] = Prov::Stack(Some(0));
    if program_entry {
        s[1] = Prov::Ctx;
    }
    s
}

fn join(a: Prov, b: Prov) -> Prov {
    match (a, b) {
        _ if a == b => a,
        (Prov::Stack(_), Prov::Stack(_)) => Prov::Stack(None),
        _ => Prov::Unknown,
    }
}

/// Pointer plus or minus a scalar keeps the pointer's region, losing an exact offset.
fn offset_by_scalar(p: Prov) -> Prov {
    match p {
        Prov::Stack(_) => Prov::Stack(None),
        other => other,
    }
}

/// Applies one instruction to `state`.
pub(crate) fn step(state: &mut State, insn: &Insn) {
    let (d, next) = match *insn {
        Insn::Alu {
            width: Width::W64,
            op,
            dst,
            src,
        } => {
            let cur = state[dst.idx()];
            let next = match (op, src) {
                (AluOp::Mov, Operand::Reg(s)) => state[s.idx()],
                (AluOp::Add | AluOp::Sub, Operand::Imm(i)) => match cur {
                    Prov::Stack(Some(k)) => {
                        let i = i64::from(i);
                        let k = if op == AluOp::Add {
                            k.checked_add(i)
                        } else {
                            k.checked_sub(i)
                        };
                        Prov::Stack(k)
                    }
                    other => other,
                },
                (AluOp::Add, Operand::Reg(s)) => match (cur, state[s.idx()]) {
                    (p, Prov::Unknown) => offset_by_scalar(p),
                    (Prov::Unknown, p) => offset_by_scalar(p),
                    _ => Prov::Unknown,
                },
                (AluOp::Sub, Operand::Reg(s)) if state[s.idx()] == Prov::Unknown => {
                    offset_by_scalar(cur)
                }
                _ => Prov::Unknown,
            };
            (dst, next)
        }
        Insn::CallLocal { .. } => {
            // The callee may leave anything in r0-r5.
            for p in &mut state[0..6] {
                *p = Prov::Unknown;
            }
            return;
        }
        _ => match insn.written_reg() {
            Some(r) => (r, Prov::Unknown),
            None => return,
        },
    };
    if let Some(p) = state.get_mut(d.idx()) {
        *p = next;
    }
}

/// The state at the start of every basic block of the function `[start, end)`.
pub(crate) fn analyse(program: &Program, start: usize, end: usize) -> HashMap<usize, State> {
    let insns = program.insns();
    let mut states: HashMap<usize, State> = HashMap::new();
    states.insert(start, entry_state(start == 0));
    let mut work = vec![start];
    while let Some(block) = work.pop() {
        let Some(&entry) = states.get(&block) else {
            continue;
        };
        let mut s = entry;
        let mut pc = block;
        let mut succ: Vec<usize> = Vec::with_capacity(2);
        while pc < end {
            let insn = insns[pc];
            step(&mut s, &insn);
            if insn.is_jump() {
                if let Some(t) = insn.target_index(pc) {
                    succ.push(t);
                }
                if !insn.ends_flow() {
                    succ.push(pc + 1);
                }
                break;
            }
            if insn.ends_flow() {
                break;
            }
            pc += 1;
            if program.is_block_start(pc) {
                succ.push(pc);
                break;
            }
        }
        for t in succ {
            if t < start || t >= end {
                continue;
            }
            let merged = match states.get(&t) {
                None => s,
                Some(old) => std::array::from_fn(|i| join(old[i], s[i])),
            };
            if states.get(&t) != Some(&merged) {
                states.insert(t, merged);
                work.push(t);
            }
        }
    }
    states
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxbpf_core::{Config, HelperRegistry};

    fn prog(src: &str) -> Program {
        Program::from_asm(src, &Config::default(), &HelperRegistry::new()).unwrap()
    }

    #[test]
    fn stack_offsets_are_exact_until_paths_disagree() {
        let p =
            prog("mov %r2, %r10\nadd %r2, -8\njeq %r1, 0, +1\nadd %r2, -8\nstxdw [%r2], %r1\nexit");
        let st = analyse(&p, 0, p.len());
        // Block at 3 (fall-through of the jeq): r2 = r10 - 8 exactly.
        assert_eq!(st[&3][2], Prov::Stack(Some(-8)));
        // Block at 4: reached with -8 and -16.
        assert_eq!(st[&4][2], Prov::Stack(None));
        assert_eq!(st[&4][1], Prov::Ctx);
    }

    #[test]
    fn loads_and_calls_forget() {
        let mut s = entry_state(true);
        step(
            &mut s,
            &Insn::Load {
                size: oxbpf_core::isa::Size::DW,
                signed: false,
                dst: oxbpf_core::Reg::R1,
                src: oxbpf_core::Reg::R1,
                off: 0,
            },
        );
        assert_eq!(s[1], Prov::Unknown);
        assert_eq!(s[10], Prov::Stack(Some(0)));
    }
}
