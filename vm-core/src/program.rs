//! A checked program and the analysis every backend shares (functions, basic blocks).

use crate::asm::{AsmError, assemble};
use crate::check::{CheckError, check};
use crate::config::Config;
use crate::helpers::HelperRegistry;
use crate::isa::{DecodeError, Insn, Reg, Size, decode, encode};
use crate::memory::SharedRegion;
use crate::trap::{Access, Trap, TrapKind};

/// Why a program could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The assembly text is invalid.
    #[error("assembly: {0}")]
    Asm(#[from] AsmError),
    /// The bytecode is invalid.
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// The program failed a load-time check.
    #[error("{0}")]
    Check(#[from] CheckError),
}

impl LoadError {
    /// The instruction index the error concerns, where it has one.
    pub fn pc(&self) -> Option<usize> {
        match self {
            LoadError::Asm(_) => None,
            LoadError::Decode(e) => Some(e.pc),
            LoadError::Check(e) => Some(e.pc),
        }
    }
}

/// The length of a helper's memory argument: the value of a register (its size argument) or a
/// constant (a map's key or value size).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgLen {
    /// The value of this register at the call.
    Reg(Reg),
    /// This many bytes.
    Const(u32),
}

/// A memory argument of a helper call that a verified program points into the context without
/// a proof of its bounds (raw memory whose length only the run knows): before the call, every
/// backend checks that the `len` bytes at register `ptr` lie in the context, and traps as an
/// out-of-bounds access otherwise. (The helper itself would accept any region of the run.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContextArg {
    /// The call instruction.
    pub pc: usize,
    /// The argument register holding the pointer.
    pub ptr: Reg,
    /// How many bytes the helper reaches there.
    pub len: ArgLen,
    /// Whether the helper writes them.
    pub write: bool,
}

/// What a verifier proved of a program (see [`Program::with_proofs`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proofs {
    /// For each instruction: whether it is a memory access proven in bounds on every path.
    pub proven: Vec<bool>,
    /// The helper arguments into the context that keep a run-time check, by call.
    pub context_args: Vec<ContextArg>,
    /// A fingerprint of the context the proofs assume (its size, writable parts and packet
    /// fields): a tail call hands its context to a verified program only if that program
    /// assumes the same of it (see [`Program::proof_context`]).
    pub context: u64,
    /// Loads of a context field narrower than an address that holds a packet pointer
    /// (`xdp_md.data`), by instruction, with the offset of its full-width copy in the run's
    /// context ([`PacketPointers`](crate::program_type::PacketPointers)): each becomes an
    /// 8-byte load from there.
    pub context_loads: Vec<(usize, i16)>,
    /// Where the context keeps the full-width packet pointers the proofs trust, for a program
    /// of a packet type: every run checks them first ([`Program::check_context`]).
    pub packet: Option<crate::program_type::PacketPointers>,
    /// Loads through a number, by instruction: in a BTF-typed tracing program (`fentry`,
    /// `tp_btf`, `lsm`) the numbers its arguments hold are kernel pointers, read as Linux reads
    /// them (`BPF_PROBE_MEM`): each such load is a probe load, the value where the bytes lie in
    /// memory a probe reaches and 0 elsewhere (see [`Program::is_probe`]).
    pub probe_loads: Vec<usize>,
}

/// A program that passed the load-time checks, with its shared analysis.
///
/// Basic blocks: a block starts at the entry, at every function entry, jump target, and the
/// instruction after a jump, a local call or an `exit`. The instruction budget is charged with a
/// block's whole cost (its instruction count, `lddw` counting once) when execution enters it;
/// every backend does the same, so budgets and counts agree exactly.
#[derive(Clone, Debug)]
pub struct Program {
    insns: Vec<Insn>,
    functions: Vec<usize>,
    block_cost: Vec<u32>,
    config: Config,
    shared: Vec<SharedRegion>,
    proven: Vec<bool>,
    context_args: Vec<ContextArg>,
    /// The fingerprint of the context the proofs assume.
    proof_context: u64,
    /// Whether a verifier proved that runs read no stack byte they did not write.
    stack_proven: bool,
    /// Bytes below the entry frame's top an unverified run can read (see
    /// [`stack_reach`](Self::stack_reach)).
    stack_reach: usize,
    /// The full-width packet pointers the proofs trust (see [`Proofs::packet`]).
    packet: Option<crate::program_type::PacketPointers>,
    /// The probe loads, sorted (see [`Proofs::probe_loads`]).
    probe: Vec<usize>,
}

impl Program {
    /// Decodes and checks bytecode.
    pub fn from_bytes(
        bytes: &[u8],
        config: &Config,
        helpers: &HelperRegistry,
    ) -> Result<Program, LoadError> {
        Program::from_insns(decode(bytes)?, config, helpers)
    }

    /// Assembles and checks source text.
    pub fn from_asm(
        source: &str,
        config: &Config,
        helpers: &HelperRegistry,
    ) -> Result<Program, LoadError> {
        Program::from_insns(assemble(source)?, config, helpers)
    }

    /// Checks a list of instructions (one per slot, as [`decode`] produces).
    pub fn from_insns(
        insns: Vec<Insn>,
        config: &Config,
        helpers: &HelperRegistry,
    ) -> Result<Program, LoadError> {
        // Hand-built instructions can hold values no encoding has (an `Endian` of 24 bits, a
        // byte-sized atomic): the round trip through the one decoder rejects them. A list whose
        // `lddw` slots do not pair up comes back different, and the checks report it.
        let decoded = decode(&encode(&insns))?;
        let insns = if decoded == insns { decoded } else { insns };
        let functions = check(&insns, config, helpers)?;
        let block_cost = block_costs(&insns, &functions);
        let stack_reach = stack_reach(&insns, &functions, config);
        Ok(Program {
            insns,
            functions,
            block_cost,
            config: config.clone(),
            shared: Vec::new(),
            proven: Vec::new(),
            context_args: Vec::new(),
            proof_context: 0,
            stack_proven: false,
            stack_reach,
            packet: None,
            probe: Vec::new(),
        })
    }

    /// The instructions, one per slot.
    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    /// Always false: a checked program has at least one instruction.
    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// Entry points of the functions, sorted; the first is 0.
    pub fn functions(&self) -> &[usize] {
        &self.functions
    }

    /// The budget cost of the basic block starting at `pc`, or 0 if `pc` starts no block.
    pub fn block_cost(&self, pc: usize) -> u32 {
        self.block_cost.get(pc).copied().unwrap_or(0)
    }

    /// Whether `pc` starts a basic block.
    pub fn is_block_start(&self, pc: usize) -> bool {
        self.block_cost(pc) > 0
    }

    /// The configuration the program was loaded with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Gives every run of the program an instruction budget of at most `budget` (the smaller of
    /// it and the one it was loaded with), as [`Config::instruction_budget`] does.
    pub fn with_budget(mut self, budget: u64) -> Program {
        let b = self
            .config
            .instruction_budget
            .map_or(budget, |b| b.min(budget));
        self.config.instruction_budget = Some(b);
        self
    }

    /// Makes `regions` accessible to every run of the program, as Linux makes the values of the
    /// maps a program uses accessible: global data (`.data`, `.rodata`, `.bss`) that `lddw`
    /// addresses directly, and map values that helpers hand out.
    pub fn with_shared(mut self, regions: Vec<SharedRegion>) -> Program {
        self.shared = regions;
        self
    }

    /// Marks the memory accesses proven in bounds on every path (`proofs.proven[pc]`, as the
    /// verifier's `Verified::proofs` gives them): compiled backends emit no run-time check for
    /// them, and keep it for every other access, as for the helper arguments
    /// `proofs.context_args`.
    ///
    /// Like turning [`Config::bounds_check`] off, this moves memory safety onto the proof: mark
    /// only what a verifier proved of this very program, with the context description its runs
    /// will get. (`Vm::load` and the ELF loader do it when they verify.) Every access not marked
    /// is then checked against the context alone ([`is_context_only`](Self::is_context_only)).
    ///
    /// It also records that the verifier accepted the program, which proves that no run reads a
    /// stack byte it did not write: [`Executable::execute`](crate::Executable::execute) then
    /// reuses the thread's stack without zeroing it, as no run can see what an earlier one left.
    pub fn with_proofs(mut self, proofs: Proofs) -> Program {
        for &(pc, at) in &proofs.context_loads {
            if let Some(Insn::Load {
                size, signed, off, ..
            }) = self.insns.get_mut(pc)
            {
                *size = Size::DW;
                *signed = false;
                *off = at;
            }
        }
        self.packet = proofs.packet;
        self.probe = proofs.probe_loads;
        self.probe.sort_unstable();
        self.probe.dedup();
        self.proven = proofs.proven;
        self.context_args = proofs.context_args;
        self.context_args.sort_by_key(|a| a.pc);
        self.proof_context = proofs.context;
        self.stack_proven = true;
        self
    }

    /// The full-width packet pointers the program's proofs trust, for a verified program of a
    /// packet type (see [`check_context`](Self::check_context)).
    pub fn packet_pointers(&self) -> Option<crate::program_type::PacketPointers> {
        self.packet
    }

    /// Whether `ctx` may be handed to the program: for a verified program of a packet type,
    /// the full-width packet pointers in it must lie in it, in order (`data_meta <= data <=
    /// data_end`, after the header and before its end), and its socket field must hold the
    /// address of the socket in it (or 0, where Linux's may be null), as the runtime's contexts
    /// ([`PacketPointers`](crate::program_type::PacketPointers)) have them; its proven packet
    /// and socket accesses go where they point. Every backend checks this before a run: a trap naming the
    /// first pointer otherwise.
    pub fn check_context(&self, ctx: &[u8]) -> Result<(), Trap> {
        let Some(p) = self.packet else {
            return Ok(());
        };
        let word = |at: u32| {
            let at = at as usize;
            ctx.get(at..at + 8)
                .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        };
        let base = ctx.as_ptr() as u64;
        let (first, last) = (base + u64::from(p.header), base + ctx.len() as u64);
        let ok = match (word(p.data_meta), word(p.data), word(p.data_end)) {
            (Some(meta), Some(data), Some(end)) => {
                u64::from(p.header) <= ctx.len() as u64
                    && first <= meta
                    && meta <= data
                    && data <= end
                    && end <= last
            }
            _ => false,
        };
        // The socket field holds the socket the context carries (or 0 where it may): the
        // program reads that socket's fields at their proven offsets.
        let socket = base + u64::from(p.socket);
        let ok = ok
            && match p.socket_field {
                None => true,
                Some((at, nullable)) => match word(at) {
                    Some(0) => nullable,
                    Some(sk) => sk == socket,
                    None => false,
                },
            };
        if ok {
            return Ok(());
        }
        Err(Trap::new(
            0,
            TrapKind::OutOfBounds {
                addr: word(p.data).unwrap_or(base),
                len: ctx.len() as u64,
                access: Access::Read,
            },
        ))
    }

    /// The fingerprint of the context the verifier's proofs assume ([`Proofs::context`]), if
    /// the program was verified. A program that trusts its context (a packet program trusts
    /// the packet pointers in it) may only be handed a context by one verified against the same
    /// description, which cannot have forged them.
    pub fn proof_context(&self) -> Option<u64> {
        self.stack_proven.then_some(self.proof_context)
    }

    /// The helper arguments of the call at `pc` that must lie in the context (see
    /// [`ContextArg`]).
    pub fn context_args_at(&self, pc: usize) -> &[ContextArg] {
        let start = self.context_args.partition_point(|a| a.pc < pc);
        let end = self.context_args.partition_point(|a| a.pc <= pc);
        &self.context_args[start..end]
    }

    /// Whether the program was verified (see [`with_proofs`](Self::with_proofs)): its runs read
    /// only stack bytes they wrote.
    pub fn stack_reads_proven(&self) -> bool {
        self.stack_proven
    }

    /// How many bytes below the top of the stack (the entry frame's `r10`) a run may read
    /// before writing them: the bytes a run's stack must hold zeroed for every backend to give
    /// the same answer and for no run to see what an earlier one left. 0 for a verified program
    /// (see [`stack_reads_proven`](Self::stack_reads_proven)); for a single function that uses
    /// `r10` only as the base of loads, stores and atomics, the deepest of them; otherwise the
    /// whole stack ([`Config::stack_size`]).
    pub fn stack_reach(&self) -> usize {
        if self.stack_proven {
            0
        } else {
            self.stack_reach
        }
    }

    /// Whether the access at `pc` was marked proven in bounds (see
    /// [`with_proofs`](Self::with_proofs)).
    pub fn is_proven(&self, pc: usize) -> bool {
        self.proven.get(pc).copied().unwrap_or(false)
    }

    /// Whether the access at `pc` may touch the context only: in a verified program every
    /// access not proven in bounds is one the verifier accepted as a context access whose
    /// bounds only the run knows, so every backend checks it against the context alone (never
    /// the stack, a map value or other memory the run may reach) and traps outside it, bounds
    /// checks on or off. Without that, an access the verifier took for a context access could
    /// change what it proved about the stack.
    pub fn is_context_only(&self, pc: usize) -> bool {
        self.stack_proven && !self.is_proven(pc) && !self.is_probe(pc)
    }

    /// Whether the load at `pc` is a probe load ([`Proofs::probe_loads`]): every backend reads
    /// its bytes only where [`MemoryMap::probe_readable`](crate::MemoryMap::probe_readable)
    /// allows (the context and memory the host added, never the stack) and yields 0 elsewhere,
    /// without a trap.
    pub fn is_probe(&self, pc: usize) -> bool {
        !self.probe.is_empty() && self.probe.binary_search(&pc).is_ok()
    }

    /// Whether the program has probe loads (see [`is_probe`](Self::is_probe)).
    pub fn has_probes(&self) -> bool {
        !self.probe.is_empty()
    }

    /// The shared regions every run may access.
    pub fn shared(&self) -> &[SharedRegion] {
        &self.shared
    }

    /// The program as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.insns)
    }
}

fn block_costs(insns: &[Insn], functions: &[usize]) -> Vec<u32> {
    let len = insns.len();
    let mut leader = vec![false; len + 1];
    for &f in functions {
        leader[f] = true;
    }
    for (pc, insn) in insns.iter().enumerate() {
        if insn.is_jump() || matches!(insn, Insn::Exit | Insn::CallLocal { .. }) {
            leader[pc + 1] = true;
            if let Some(t) = insn.jump_target(pc) {
                leader[t] = true;
            }
        }
    }
    let mut cost = vec![0u32; len];
    let mut start = 0;
    let mut count = 0u32;
    for pc in 0..len {
        if leader[pc] && pc > start {
            cost[start] = count;
            start = pc;
            count = 0;
        }
        if !matches!(insns[pc], Insn::LoadImm64Tail) {
            count += 1;
        }
    }
    cost[start] = count;
    cost
}

/// The bytes below the stack's top a run of `insns` may read before writing them (see
/// [`Program::stack_reach`]), found without a verifier: exact only when `r10` never leaves the
/// base of an access of a single function.
fn stack_reach(insns: &[Insn], functions: &[usize], config: &Config) -> usize {
    use crate::isa::Operand;
    let whole = config.stack_size();
    if functions.len() > 1 {
        return whole;
    }
    let fp = Reg::R10;
    let mut deepest = 0i64;
    for insn in insns {
        let base_off = match *insn {
            Insn::Load { src, off, .. } => (src == fp).then_some(off),
            Insn::Store { src, .. } if src == Operand::Reg(fp) => return whole,
            Insn::Store { dst, off, .. } => (dst == fp).then_some(off),
            Insn::Atomic { src, .. } if src == fp => return whole,
            Insn::Atomic { dst, off, .. } => (dst == fp).then_some(off),
            Insn::Alu { dst, src, .. } | Insn::Jump { dst, src, .. }
                if dst == fp || src == Operand::Reg(fp) =>
            {
                return whole;
            }
            Insn::Neg { dst, .. } | Insn::Endian { dst, .. } | Insn::LoadImm64 { dst, .. }
                if dst == fp =>
            {
                return whole;
            }
            Insn::Callx { reg } if reg == fp => return whole,
            _ => None,
        };
        if let Some(off) = base_off {
            deepest = deepest.max(-i64::from(off));
        }
    }
    usize::try_from(deepest).map_or(0, |d| d.min(whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prog(src: &str) -> Program {
        Program::from_asm(src, &Config::default(), &HelperRegistry::new()).unwrap()
    }

    #[test]
    fn blocks_split_at_jumps_and_targets() {
        let p = prog(
            "mov %r0, 0\nmov %r1, 3\nloop:\nadd %r0, 1\njne %r0, %r1, loop\nlddw %r2, 1\nexit",
        );
        let costs: Vec<u32> = (0..p.len()).map(|pc| p.block_cost(pc)).collect();
        // [mov, mov] [add, jne] [lddw (1), exit]
        assert_eq!(costs, vec![2, 0, 2, 0, 2, 0, 0]);
    }

    #[test]
    fn local_calls_start_functions_and_blocks() {
        let p = prog("call local f\nexit\nf:\nmov %r0, 1\nexit");
        assert_eq!(p.functions(), &[0, 2]);
        assert_eq!(
            (0..4).map(|pc| p.block_cost(pc)).collect::<Vec<_>>(),
            vec![1, 1, 2, 0]
        );
    }

    #[test]
    fn stack_reach_is_the_deepest_access_while_r10_stays_a_base() {
        let whole = Config::default().stack_size();
        assert_eq!(prog("mov %r0, 42\nexit").stack_reach(), 0);
        let p = prog("stxdw [%r10-16], %r1\nldxw %r0, [%r10-40]\nstb [%r10-3], 1\nexit");
        assert_eq!(p.stack_reach(), 40);
        // Accesses through other registers reach no stack byte by themselves.
        let p = prog("ldxdw %r2, [%r1]\nstxdw [%r1+8], %r2\nldxb %r0, [%r10-2]\nexit");
        assert_eq!(p.stack_reach(), 2);
        // r10 copied, stored, compared or passed on: any byte may be read.
        for src in [
            "mov %r1, %r10\nldxb %r0, [%r1-1]\nexit",
            "stxdw [%r10-8], %r10\nexit",
            "jeq %r1, %r10, +0\nexit",
            "call local f\nexit\nf:\nldxb %r0, [%r10-1]\nexit",
        ] {
            assert_eq!(prog(src).stack_reach(), whole, "{src}");
        }
        // Far below the stack: the access traps, nothing past the stack is zeroed.
        assert_eq!(prog("ldxb %r0, [%r10-30000]\nexit").stack_reach(), whole);
    }
}
