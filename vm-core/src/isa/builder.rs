//! The instruction builder: code written as [`Insn`]s, its jumps aimed at [`Label`]s that
//! [`Builder::finish`] resolves to offsets once, when every label is bound (labels may be used
//! before they are bound, as in Cranelift's `MachBuffer`). Code generators (the lowering of
//! bundles, the linker's trampolines) build programs with it instead of writing assembly text or
//! instruction bytes; the result is a program like any other, for [`encode`](super::encode) or
//! [`Program::from_insns`](crate::Program::from_insns).

use super::{Cond, Insn, Operand, Reg, Width};
use core::fmt;

/// A position in the code a [`Builder`] is writing, to jump or call to; bound to the next
/// instruction by [`Builder::bind`], before or after the jumps to it are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Label(u32);

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}", self.0)
    }
}

/// Why [`Builder::finish`] refused the code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A jump or call aims at a label that was never bound.
    #[error("label {0} is never bound")]
    Unbound(Label),
    /// A label was bound twice.
    #[error("label {0} is bound twice")]
    Rebound(Label),
    /// A label that another builder made.
    #[error("label {0} is not one of this builder's")]
    Foreign(Label),
    /// A jump's target is further than its offset field reaches (16 bits for `ja` and the
    /// conditional jumps, 32 for `ja32` and local calls).
    #[error("insn {pc}: the jump to {label} ({offset:+} instructions) is out of range")]
    OutOfRange {
        /// The jump's instruction index.
        pc: usize,
        /// Its label.
        label: Label,
        /// The offset it would need, from the next instruction.
        offset: i64,
    },
}

/// Writes a program instruction by instruction: [`emit`](Self::emit) appends one, the jump
/// emitters aim at [`Label`]s bound by [`bind`](Self::bind) before or after them, and
/// [`finish`](Self::finish) gives the program with every offset resolved.
///
/// ```
/// use oxbpf_core::isa::{AluOp, Builder, Cond, Insn, Operand, Reg, Width};
/// let mov = |imm| Insn::Alu {
///     width: Width::W64,
///     op: AluOp::Mov,
///     dst: Reg::R0,
///     src: Operand::Imm(imm),
/// };
/// let mut b = Builder::new();
/// let zero = b.label();
/// b.jump(Width::W64, Cond::Eq, Reg::R2, Operand::Imm(0), zero);
/// b.emit(mov(1));
/// b.emit(Insn::Exit);
/// b.bind(zero);
/// b.emit(mov(0));
/// b.emit(Insn::Exit);
/// let prog = b.finish()?;
/// assert_eq!(prog[0].to_string(), "jeq %r2, 0, +2");
/// # Ok::<(), oxbpf_core::isa::BuildError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    insns: Vec<Insn>,
    /// The instruction index each label is bound to, by label number.
    bound: Vec<Option<usize>>,
    /// The jumps and local calls aimed at labels: their instruction index and label.
    fixups: Vec<(usize, Label)>,
    /// The first misuse of a label, reported by `finish`.
    error: Option<BuildError>,
}

impl Builder {
    /// An empty program.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The instruction slots written so far: the index the next instruction gets.
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// Appends `insn`. An [`Insn::LoadImm64`] takes its two slots (its
    /// [`Insn::LoadImm64Tail`] follows it); a lone `LoadImm64Tail` is ignored, as the encoder
    /// ignores it, since its `lddw` already wrote it. The offsets of jumps written here are
    /// kept as given: jumps to labels go through [`ja`](Self::ja), [`jump`](Self::jump),
    /// [`ja32`](Self::ja32) and [`call_local`](Self::call_local).
    pub fn emit(&mut self, insn: Insn) {
        match insn {
            Insn::LoadImm64Tail => {}
            Insn::LoadImm64 { .. } => {
                self.insns.push(insn);
                self.insns.push(Insn::LoadImm64Tail);
            }
            _ => self.insns.push(insn),
        }
    }

    /// A new label, not yet bound.
    pub fn label(&mut self) -> Label {
        let l = Label(self.bound.len() as u32);
        self.bound.push(None);
        l
    }

    /// Binds `label` to the next instruction written.
    pub fn bind(&mut self, label: Label) {
        let at = self.insns.len();
        match self.bound.get_mut(label.0 as usize) {
            Some(slot @ None) => *slot = Some(at),
            Some(Some(_)) => self.fail(BuildError::Rebound(label)),
            None => self.fail(BuildError::Foreign(label)),
        }
    }

    /// `ja label`.
    pub fn ja(&mut self, label: Label) {
        self.aimed(Insn::Ja { off: 0 }, label);
    }

    /// `ja32 label` (CPU v4: a 32-bit offset).
    pub fn ja32(&mut self, label: Label) {
        self.aimed(Insn::Ja32 { imm: 0 }, label);
    }

    /// `if dst cond src goto label`, comparing at `width`.
    pub fn jump(&mut self, width: Width, cond: Cond, dst: Reg, src: Operand, label: Label) {
        let jump = Insn::Jump {
            width,
            cond,
            dst,
            src,
            off: 0,
        };
        self.aimed(jump, label);
    }

    /// `call local label`: a bpf-to-bpf call of the function starting at `label`.
    pub fn call_local(&mut self, label: Label) {
        self.aimed(Insn::CallLocal { off: 0 }, label);
    }

    /// The program, every jump to a label given its offset; refused when a label is unbound,
    /// bound twice or foreign, or a target is out of its jump's reach.
    pub fn finish(mut self) -> Result<Vec<Insn>, BuildError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        for &(pc, label) in &self.fixups {
            let target = self
                .bound
                .get(label.0 as usize)
                .copied()
                .ok_or(BuildError::Foreign(label))?
                .ok_or(BuildError::Unbound(label))?;
            let offset = target as i64 - (pc as i64 + 1);
            let out_of_range = BuildError::OutOfRange { pc, label, offset };
            match &mut self.insns[pc] {
                Insn::Ja { off } | Insn::Jump { off, .. } => {
                    *off = i16::try_from(offset).map_err(|_| out_of_range)?;
                }
                Insn::Ja32 { imm: off } | Insn::CallLocal { off } => {
                    *off = i32::try_from(offset).map_err(|_| out_of_range)?;
                }
                // Only the emitters above record fix-ups, each on its own instruction.
                _ => {}
            }
        }
        Ok(self.insns)
    }

    /// Appends `insn`, its offset to be set to `label`'s by `finish`.
    fn aimed(&mut self, insn: Insn, label: Label) {
        self.fixups.push((self.insns.len(), label));
        self.insns.push(insn);
    }

    /// Records the first misuse of a label.
    fn fail(&mut self, e: BuildError) {
        self.error.get_or_insert(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::{AluOp, Imm64Kind, decode, encode};

    fn mov(dst: Reg, imm: i32) -> Insn {
        Insn::Alu {
            width: Width::W64,
            op: AluOp::Mov,
            dst,
            src: Operand::Imm(imm),
        }
    }

    #[test]
    fn labels_bound_before_and_after_their_jumps_resolve() {
        let mut b = Builder::new();
        let (top, end, f) = (b.label(), b.label(), b.label());
        b.bind(top);
        b.emit(mov(Reg::R0, 1));
        b.jump(Width::W32, Cond::Gt, Reg::R0, Operand::Reg(Reg::R1), end);
        b.emit(Insn::LoadImm64 {
            dst: Reg::R2,
            kind: Imm64Kind::Value,
            imm: u64::MAX,
        });
        b.call_local(f);
        b.ja(top);
        b.bind(end);
        b.emit(Insn::Exit);
        b.bind(f);
        b.ja32(end);
        let p = b.finish().unwrap();
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "mov %r0, 1",
                "jgt32 %r0, %r1, +4",
                "lddw %r2, 0xffffffffffffffff",
                "",
                "call local +2",
                "ja -6",
                "exit",
                "ja32 -2",
            ]
        );
        // What the one encoder writes, the one decoder reads back.
        assert_eq!(decode(&encode(&p)).unwrap(), p);
    }

    #[test]
    fn a_lone_lddw_tail_is_ignored() {
        let mut b = Builder::new();
        b.emit(Insn::LoadImm64Tail);
        assert!(b.is_empty());
        b.emit(Insn::LoadImm64 {
            dst: Reg::R1,
            kind: Imm64Kind::MapFd,
            imm: 3,
        });
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn misused_labels_are_refused() {
        let mut b = Builder::new();
        let l = b.label();
        b.ja(l);
        assert_eq!(b.clone().finish(), Err(BuildError::Unbound(l)));
        b.bind(l);
        b.bind(l);
        assert_eq!(b.finish(), Err(BuildError::Rebound(l)));

        let mut other = Builder::new();
        let (_, foreign) = (other.label(), other.label());
        let mut b = Builder::new();
        b.ja(foreign);
        assert_eq!(b.finish(), Err(BuildError::Foreign(foreign)));
    }

    #[test]
    fn jumps_out_of_reach_are_refused() {
        let mut b = Builder::new();
        let (far, farther) = (b.label(), b.label());
        b.ja(far);
        b.ja32(farther);
        for _ in 2..=i16::MAX {
            b.emit(Insn::Exit);
        }
        b.bind(far);
        b.emit(Insn::Exit);
        b.bind(farther);
        // `ja` reaches 32767 instructions past the next one ...
        let p = b.finish().unwrap();
        assert_eq!(p[0], Insn::Ja { off: i16::MAX });
        assert_eq!(p[1], Insn::Ja32 { imm: 32767 });
        // ... and no further; `ja32` does.
        let mut b = Builder::new();
        let (l, l32) = (b.label(), b.label());
        b.ja32(l32);
        b.ja(l);
        for _ in 0..=i16::MAX {
            b.emit(Insn::Exit);
        }
        b.bind(l);
        b.bind(l32);
        assert_eq!(
            b.clone().finish(),
            Err(BuildError::OutOfRange {
                pc: 1,
                label: l,
                offset: 32768
            })
        );
    }
}
