//! The soundness property every program the verifier accepts must keep, shared by the soundness
//! test and the verifier's fuzz target.

use oxbpf::isa::{AluOp, Insn, Operand, Reg, Width};
use oxbpf::{Execution, Program, StackBuffer, TrapKind, Vm};

/// What one run left: `r0` or the trap, and the memory.
pub type Outcome = (Result<u64, oxbpf::Trap>, Vec<u8>);

/// Runs `program`, which `interp` (an interpreter, checks on) accepted with the marks `proven`,
/// on `ctx` copied into `mem` (the caller's buffer, of the same length, so that later runs may
/// use the same addresses) twice: once with the stack zeroed and once filled with `0xa5`. Returns the outcome,
/// or what broke the property: an out-of-bounds trap at a proven access, or a result that
/// depends on stack bytes the program never wrote.
pub fn run_accepted(
    interp: &Vm,
    program: &Program,
    proven: &[bool],
    ctx: &[u8],
    mem: &mut [u8],
    stack: &mut StackBuffer,
) -> Result<Outcome, String> {
    let exe = interp
        .load_program(program.clone())
        .map_err(|e| format!("an accepted program does not load: {e}"))?;
    let mut runs: Vec<Outcome> = Vec::new();
    // One buffer for every run, so that addresses (which helpers without a prototype may turn
    // into numbers) agree too.
    for fill in [0x00u8, 0xa5] {
        mem.copy_from_slice(ctx);
        stack.reset(interp.config().stack_size());
        stack.as_mut_slice().fill(fill);
        let Execution { result, .. } = exe.execute_on(mem, stack);
        if let Err(t) = &result
            && matches!(t.kind, TrapKind::OutOfBounds { .. })
            && proven.get(t.pc).copied().unwrap_or(false)
        {
            return Err(format!("proven access trapped: {t}"));
        }
        runs.push((result, mem.to_vec()));
    }
    if runs[0] != runs[1] {
        return Err(format!(
            "the result depends on unwritten stack bytes: {:?} vs {:?}",
            runs[0], runs[1]
        ));
    }
    Ok(runs.swap_remove(0))
}

/// The registers the generated programs compute with: all but `r1` (memory), `r2` (its length)
/// and `r10`.
pub const NUMBERS: [u8; 8] = [0, 3, 4, 5, 6, 7, 8, 9];

/// The start of every generated program: each of [`NUMBERS`] set to a number.
pub fn prologue() -> Vec<Insn> {
    NUMBERS
        .iter()
        .map(|&r| Insn::Alu {
            width: Width::W64,
            op: AluOp::Mov,
            dst: Reg::new(r).expect("a register number"),
            src: Operand::Imm(i32::from(r) * 3),
        })
        .collect()
}
