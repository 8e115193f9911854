//! Load-time structural checks, run on every program before any backend sees it.
//!
//! They guarantee what every backend relies on: control stays inside the program and inside its
//! function, never lands on the second slot of an `lddw`, never falls off the end of a function;
//! `r10` is never written; every helper called directly is registered; the program is not too long.
//! Memory safety is the run-time checks' job (or the verifier's).

use crate::config::Config;
use crate::helpers::HelperRegistry;
use crate::isa::{Imm64Kind, Insn, Reg};

/// Why a program was refused at load.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckErrorKind {
    /// The program has no instructions.
    #[error("program is empty")]
    Empty,
    /// The program is longer than [`Config::max_instructions`].
    #[error("program has {count} instructions, more than the limit of {limit}")]
    TooLong {
        /// Its length in slots.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The instruction writes the read-only frame pointer.
    #[error("writes r10, the read-only frame pointer")]
    WritesR10,
    /// A jump or call lands outside the program.
    #[error("jump to {target} is out of range (program has {len} instructions)")]
    JumpOutOfRange {
        /// The target index.
        target: i64,
        /// The program length.
        len: usize,
    },
    /// A jump or call lands on the second slot of an `lddw`.
    #[error("jump to {target} lands in the middle of lddw")]
    JumpIntoLoadImm64 {
        /// The target index.
        target: usize,
    },
    /// A jump leaves the function it is in.
    #[error("jump to {target} leaves the function starting at {function}")]
    JumpOutOfFunction {
        /// The target index.
        target: usize,
        /// The entry of the jump's function.
        function: usize,
    },
    /// The helper called is not registered (a helper of Linux's catalogue is named: the host
    /// does not implement it).
    #[error("call to unknown helper {id}{}", linux_name(*id))]
    UnknownHelper {
        /// The helper id.
        id: u32,
    },
    /// `call runtime` is not supported.
    #[error("runtime function calls are not supported (id {id})")]
    RuntimeCall {
        /// The runtime function id.
        id: i32,
    },
    /// An `lddw` refers to a map, BTF id or function that no loader resolved.
    #[error("lddw {keyword} was not resolved by a loader")]
    UnresolvedImm64 {
        /// The keyword of the immediate's kind.
        keyword: &'static str,
    },
    /// The last instruction of a function can fall through past its end.
    #[error("execution can fall off the end of the function starting at {function}")]
    FallsOffEnd {
        /// The entry of the function.
        function: usize,
    },
    /// The two-slot `lddw` structure is broken (only possible for hand-built instruction lists).
    #[error("lddw first and second slots do not pair up")]
    MalformedLoadImm64,
}

/// A load-time check failure and the instruction index it concerns.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("insn {pc}: {kind}")]
pub struct CheckError {
    /// The instruction index.
    pub pc: usize,
    /// What was wrong.
    pub kind: CheckErrorKind,
}

fn err(pc: usize, kind: CheckErrorKind) -> CheckError {
    CheckError { pc, kind }
}

/// Checks `insns` and returns the sorted entry points of its functions (index 0 first).
pub fn check(
    insns: &[Insn],
    config: &Config,
    helpers: &HelperRegistry,
) -> Result<Vec<usize>, CheckError> {
    let len = insns.len();
    if len == 0 {
        return Err(err(0, CheckErrorKind::Empty));
    }
    if len > config.max_instructions {
        return Err(err(
            0,
            CheckErrorKind::TooLong {
                count: len,
                limit: config.max_instructions,
            },
        ));
    }
    let is_tail = |t: usize| matches!(insns.get(t), Some(Insn::LoadImm64Tail));
    let resolve = |pc: usize, target: i64| -> Result<usize, CheckError> {
        let t = usize::try_from(target)
            .ok()
            .filter(|&t| t < len)
            .ok_or_else(|| err(pc, CheckErrorKind::JumpOutOfRange { target, len }))?;
        if is_tail(t) {
            return Err(err(pc, CheckErrorKind::JumpIntoLoadImm64 { target: t }));
        }
        Ok(t)
    };

    let mut functions = vec![0usize];
    for (pc, insn) in insns.iter().enumerate() {
        let paired = match insn {
            Insn::LoadImm64 { .. } => is_tail(pc + 1),
            Insn::LoadImm64Tail => pc > 0 && matches!(insns[pc - 1], Insn::LoadImm64 { .. }),
            _ => true,
        };
        if !paired {
            return Err(err(pc, CheckErrorKind::MalformedLoadImm64));
        }
        if insn.written_reg() == Some(Reg::R10) {
            return Err(err(pc, CheckErrorKind::WritesR10));
        }
        match *insn {
            Insn::Call { helper } if !helpers.contains(helper) => {
                return Err(err(pc, CheckErrorKind::UnknownHelper { id: helper }));
            }
            Insn::CallRuntime { id } => return Err(err(pc, CheckErrorKind::RuntimeCall { id })),
            Insn::LoadImm64 { kind, .. } if kind != Imm64Kind::Value => {
                return Err(err(
                    pc,
                    CheckErrorKind::UnresolvedImm64 {
                        keyword: kind.keyword(),
                    },
                ));
            }
            Insn::CallLocal { .. } => {
                let target = insn.branch_target(pc).unwrap_or(-1);
                functions.push(resolve(pc, target)?);
            }
            _ => {}
        }
    }
    functions.sort_unstable();
    functions.dedup();

    for (i, &entry) in functions.iter().enumerate() {
        let end = functions.get(i + 1).copied().unwrap_or(len);
        for (pc, insn) in insns.iter().enumerate().take(end).skip(entry) {
            if insn.is_jump() {
                let target = resolve(pc, insn.branch_target(pc).unwrap_or(-1))?;
                if !(entry..end).contains(&target) {
                    return Err(err(
                        pc,
                        CheckErrorKind::JumpOutOfFunction {
                            target,
                            function: entry,
                        },
                    ));
                }
            }
        }
        // The last real instruction of the function must not fall through.
        let last = if matches!(insns[end - 1], Insn::LoadImm64Tail) {
            end - 2
        } else {
            end - 1
        };
        if !insns[last].ends_flow() {
            return Err(err(last, CheckErrorKind::FallsOffEnd { function: entry }));
        }
    }
    Ok(functions)
}

/// `" (bpf_NAME: ...)"` for a helper id of Linux's catalogue, `""` for another.
fn linux_name(id: u32) -> String {
    crate::catalogue::helper(id).map_or_else(String::new, |h| {
        format!(
            " (Linux's `bpf_{}`, which this host does not implement)",
            h.name
        )
    })
}
