//! The one translator from the shared [`Insn`] to Cranelift IR, used by the JIT and the AOT
//! backend alike (it is generic over [`Module`]).
//!
//! Each eBPF function (the entry and every target of a local call) becomes one Cranelift function
//! `fn(vmctx, fp)` (see [`crate::abi`]); each basic block of [`Program`] becomes one Cranelift
//! block that first pays the block's budget cost, exactly where the interpreter does. Registers
//! `r0`–`r9` are Cranelift variables; `r10` is the `fp` argument. The instruction classes live in
//! their own files: [`alu`], [`jump`] (with the if-conversion of short skips in [`select`]),
//! [`memory`] (bounds checks in [`crate::bounds`]) and [`call`].

mod alu;
mod call;
mod jump;
mod memory;
mod scan;
mod select;

use crate::abi::{DIRECT_SYMBOL, ENTRY_SYMBOL, off, reg_offset};
use crate::provenance::{self, Prov, State};
use cranelift_codegen::ir::{
    AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, Signature, UserFuncName, Value, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::{FuncId, Linkage, Module};
use oxbpf_core::{Insn, Program, TrapCode};
use std::collections::HashMap;

/// Code-shaping settings taken from the program's [`Config`](oxbpf_core::Config).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    pub(crate) frame: i64,
    pub(crate) max_depth: u64,
    pub(crate) budget: bool,
    /// Whether the code counts instructions at all (with a budget, or when asked to).
    pub(crate) count: bool,
    pub(crate) bounds_check: bool,
    pub(crate) big_endian: bool,
    /// The full-width packet pointers of a verified program of a packet type: its legacy
    /// packet loads read the packet between them.
    pub(crate) packet: Option<oxbpf_core::program_type::PacketPointers>,
}

impl Options {
    pub(crate) fn new(program: &Program, big_endian: bool) -> Options {
        let c = program.config();
        Options {
            frame: c.stack_frame_size as i64,
            max_depth: c.max_call_depth as u64,
            budget: c.instruction_budget.is_some(),
            count: c.counts_instructions(),
            bounds_check: c.bounds_check,
            big_endian,
            packet: program.packet_pointers(),
        }
    }
}

/// The signature of every compiled function: `(vmctx, fp)`.
pub(crate) fn signature(call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I64));
    sig
}

/// The signature of a direct entry: `(mem, mem_len, stack_end, outcome, -mem) -> r0`.
fn direct_signature(call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params
        .extend(std::iter::repeat_n(AbiParam::new(types::I64), 5));
    sig.returns.push(AbiParam::new(types::I64));
    sig
}

/// Whether `program` gets a direct entry: one function, no helper calls, no counting, and no
/// memory but the context and the stack (no shared regions), so that compiled code decides every
/// access itself.
fn direct_candidate(program: &Program, opts: &Options) -> bool {
    !opts.count
        && program.functions().len() == 1
        && program.shared().is_empty()
        && !program.insns().iter().any(|insn| {
            matches!(
                insn,
                Insn::Call { .. }
                    | Insn::Callx { .. }
                    | Insn::CallLocal { .. }
                    | Insn::CallRuntime { .. }
            )
        })
}

/// Defines every function of `program` in `module`; returns the entry function's id and whether
/// it is a direct entry (see [`crate::abi::DirectFn`]), which is then the only function.
pub(crate) fn define_program<M: Module>(
    module: &mut M,
    program: &Program,
    entry_linkage: Linkage,
) -> Result<(FuncId, bool), String> {
    let big_endian = module.isa().endianness() == cranelift_codegen::ir::Endianness::Big;
    let opts = Options::new(program, big_endian);
    let helper_index: HashMap<u32, u32> = crate::runtime::helper_ids(program)
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, i as u32))
        .collect();
    let mut ctx = module.make_context();
    let mut fctx = FunctionBuilderContext::new();
    let slow = crate::bounds::define_slow_path(module, &mut ctx, &mut fctx)?;
    if direct_candidate(program, &opts) {
        let call_conv = module.isa().default_call_conv();
        ctx.func.signature = direct_signature(call_conv);
        let slow_ref = module.declare_func_in_func(slow, &mut ctx.func);
        let no_funcs = HashMap::new();
        let b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let range = (0, program.len());
        let mut tx = FnTranslator::new(b, program, opts, range, &no_funcs, &helper_index, slow_ref);
        tx.translate();
        tx.b.seal_all_blocks();
        tx.b.finalize(module.target_config());
        // A candidate's code has no call, and decides its accesses itself: it never reaches the
        // runtime, which a direct entry has no context block for.
        if tx.leaves {
            return Err("direct entry: the code calls into the runtime".into());
        }
        let id = module
            .declare_function(DIRECT_SYMBOL, entry_linkage, &direct_signature(call_conv))
            .map_err(|e| e.to_string())?;
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        module
            .define_function(id, &mut ctx)
            .map_err(|e| format!("direct entry: {e:?}"))?;
        return Ok((id, true));
    }
    let sig = signature(module.isa().default_call_conv());
    let entries = program.functions();
    let mut ids = Vec::with_capacity(entries.len());
    for (i, &pc) in entries.iter().enumerate() {
        let (name, linkage) = if i == 0 {
            (ENTRY_SYMBOL.to_owned(), entry_linkage)
        } else {
            (format!("oxbpf_fn_{pc}"), Linkage::Local)
        };
        let id = module
            .declare_function(&name, linkage, &sig)
            .map_err(|e| e.to_string())?;
        ids.push((pc, id));
    }
    for (i, &(start, id)) in ids.iter().enumerate() {
        let end = entries.get(i + 1).copied().unwrap_or(program.len());
        ctx.func.signature = sig.clone();
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        let funcs: HashMap<usize, FuncRef> = ids
            .iter()
            .map(|&(pc, callee)| (pc, module.declare_func_in_func(callee, &mut ctx.func)))
            .collect();
        let slow = module.declare_func_in_func(slow, &mut ctx.func);
        let b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let mut tx = FnTranslator::new(b, program, opts, (start, end), &funcs, &helper_index, slow);
        tx.translate();
        tx.b.seal_all_blocks();
        tx.b.finalize(module.target_config());
        module
            .define_function(id, &mut ctx)
            .map_err(|e| format!("function at insn {start}: {e:?}"))?;
        module.clear_context(&mut ctx);
    }
    Ok((ids[0].1, false))
}

/// Whether any local call in `program` targets the instruction at `pc`.
fn called(program: &Program, pc: usize) -> bool {
    program.insns().iter().enumerate().any(|(at, insn)| {
        matches!(insn, Insn::CallLocal { .. }) && insn.target_index(at) == Some(pc)
    })
}

/// Values loaded once at function entry.
pub(crate) struct Env {
    pub(crate) floor: Value,
    pub(crate) stack_count: [Value; 4],
}

/// Translates one eBPF function.
pub(crate) struct FnTranslator<'a, 'b> {
    pub(crate) b: FunctionBuilder<'b>,
    pub(crate) program: &'a Program,
    pub(crate) opts: Options,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) regs: [Variable; 10],
    pub(crate) remaining: Variable,
    /// Budget charges not yet subtracted from [`remaining`](Self::remaining) (without a budget
    /// only): summed apart so a chain of if-converted skips adds one subtraction, not one per
    /// skip, to the loop-carried count. Subtracted by [`flush_charges`](Self::flush_charges)
    /// before control leaves the current block other than into a block it alone enters.
    pub(crate) pending: Option<Value>,
    /// Whether `pending` may be carried into the next block (its only predecessor is this one).
    pub(crate) carry: bool,
    /// Instructions before this index are not translated (skips already if-converted).
    pub(crate) skip_to: usize,
    /// How many jumps target each instruction of the function.
    pub(crate) jump_refs: HashMap<usize, u32>,
    /// The merged bounds checks of the block being translated.
    pub(crate) merges: crate::bounds::Merges,
    /// Whether a cold copy of a block is being translated (every access checked on its own).
    pub(crate) cold_copy: bool,
    /// Cold copies still to translate for the current block: `(block, first pc, provenance)`.
    pub(crate) cold_copies: Vec<(Block, usize, State)>,
    /// Cold blocks through which a cold copy leaves for a hot block: `(trampoline, target)`,
    /// filled with the jump once the copies are translated (see [`leave`](Self::leave)).
    pub(crate) trampolines: Vec<(Block, Block)>,
    /// While a versioned loop is translated: its first instruction and the copy's block, which
    /// its back edge targets instead of the guard.
    pub(crate) loop_header: Option<(usize, Block)>,
    /// Accesses of the fast copy of a versioned loop, checked once by its guard.
    pub(crate) hoisted: std::collections::HashSet<usize>,
    /// Whether the current block is translated more than once (so its successors have more than
    /// one predecessor).
    pub(crate) duplicated: bool,
    pub(crate) vmctx: Value,
    pub(crate) fp: Value,
    pub(crate) env: Env,
    pub(crate) blocks: HashMap<usize, Block>,
    /// Cold block `(code, pc, addr, len)`: records a trap raised by compiled code and returns.
    pub(crate) trap_block: Block,
    /// Cold block: saves the budget and returns (the runtime already recorded why).
    pub(crate) stop_block: Block,
    pub(crate) funcs: &'a HashMap<usize, FuncRef>,
    pub(crate) helper_index: &'a HashMap<u32, u32>,
    /// Whether this function only ever runs as the program's entry (no local call targets it).
    pub(crate) outermost: bool,
    /// The bounds-check slow path (see [`crate::bounds::define_slow_path`]).
    pub(crate) slow_path: FuncRef,
    pub(crate) prov: State,
    pub(crate) block_states: HashMap<usize, State>,
    /// The imported signature of helper calls, once used.
    pub(crate) helper_sig: Option<cranelift_codegen::ir::SigRef>,
    /// For a direct entry ([`crate::abi::DirectFn`]): its parameters that stand in for the
    /// context block's fields; `vmctx` is then the trap record.
    pub(crate) direct: Option<Direct>,
    /// Whether the code calls into the runtime (which a direct entry must not: checked after its
    /// translation).
    pub(crate) leaves: bool,
    /// An instruction already translated with the one before it (see
    /// [`fuse_div_mul`](Self::fuse_div_mul)).
    pub(crate) fused: Option<usize>,
    /// Conditional jumps whose short skips stay branches (see [`select::chained_skips`]).
    pub(crate) chained: std::collections::HashSet<usize>,
    /// While a copy of a scanning loop is translated: the copy's block of each of its blocks.
    pub(crate) copies: HashMap<usize, Block>,
    /// Whether edges out of the loop being translated go through cold trampolines (its fast
    /// copy's).
    pub(crate) cold_exits: bool,
}

/// The parameters of a direct entry that stand in for the context block's fields.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Direct {
    /// The memory's address ([`VmCtx::ctx_start`](crate::abi::VmCtx::ctx_start)).
    pub(crate) mem: Value,
    /// Its length.
    pub(crate) len: Value,
    /// Its address negated ([`VmCtx::ctx_neg_start`](crate::abi::VmCtx::ctx_neg_start)).
    pub(crate) neg_mem: Value,
}

/// Flags for the context block's own fields.
pub(crate) const VM: MemFlagsData = MemFlagsData::trusted();

impl<'a, 'b> FnTranslator<'a, 'b> {
    fn new(
        mut b: FunctionBuilder<'b>,
        program: &'a Program,
        opts: Options,
        (start, end): (usize, usize),
        funcs: &'a HashMap<usize, FuncRef>,
        helper_index: &'a HashMap<u32, u32>,
        slow_path: FuncRef,
    ) -> FnTranslator<'a, 'b> {
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        // A direct entry's parameters are `(mem, mem_len, stack_end, outcome, -mem)`.
        let direct = (params.len() == 5).then(|| Direct {
            mem: params[0],
            len: params[1],
            neg_mem: params[4],
        });
        let (vmctx, fp) = match direct {
            Some(_) => (params[3], params[2]),
            None => (params[0], params[1]),
        };
        let regs: [Variable; 10] = std::array::from_fn(|_| b.declare_var(types::I64));
        // The program's entry, when no local call enters it too, starts as every run does: `r1`
        // and `r2` from the host, the other registers 0 (see `runtime::run`); nothing else needs
        // loading. Other functions take their caller's registers.
        let outermost = start == 0 && !called(program, 0);
        for (i, &var) in regs.iter().enumerate() {
            let v = match (direct, i) {
                (Some(d), 1) => d.mem,
                (Some(d), 2) => d.len,
                _ if direct.is_some() || (outermost && i != 1 && i != 2) => {
                    b.ins().iconst(types::I64, 0)
                }
                _ => b.ins().load(types::I64, VM, vmctx, reg_offset(i)),
            };
            b.def_var(var, v);
        }
        // Without counting the budget is never read or written.
        let remaining = b.declare_var(types::I64);
        let rem = if opts.count {
            b.ins().load(types::I64, VM, vmctx, off::REMAINING)
        } else {
            b.ins().iconst(types::I64, 0)
        };
        b.def_var(remaining, rem);

        let ro = VM.with_readonly();
        let floor = b.ins().iadd_imm_s(fp, -opts.frame);
        let stack_end = match direct {
            Some(_) => fp,
            None => b.ins().load(types::I64, ro, vmctx, off::STACK_END),
        };
        let span = b.ins().isub(stack_end, floor);
        let stack_count = [1i64, 2, 4, 8].map(|n| crate::bounds::valid_starts(&mut b, span, n));

        let trap_block = b.create_block();
        for _ in 0..4 {
            b.append_block_param(trap_block, types::I64);
        }
        b.set_cold_block(trap_block);
        let stop_block = b.create_block();
        b.set_cold_block(stop_block);

        let mut blocks = HashMap::new();
        for pc in start..end {
            if program.is_block_start(pc) {
                blocks.insert(pc, b.create_block());
            }
        }
        let block_states = provenance::analyse(program, start, end);
        let mut jump_refs = HashMap::new();
        for pc in start..end {
            let insn = &program.insns()[pc];
            if let Some(t) = insn.jump_target(pc) {
                *jump_refs.entry(t).or_insert(0) += 1;
            }
        }
        FnTranslator {
            b,
            program,
            opts,
            start,
            end,
            regs,
            remaining,
            pending: None,
            carry: false,
            skip_to: start,
            jump_refs,
            merges: crate::bounds::Merges::default(),
            cold_copy: false,
            cold_copies: Vec::new(),
            trampolines: Vec::new(),
            duplicated: false,
            loop_header: None,
            hoisted: std::collections::HashSet::new(),
            vmctx,
            fp,
            env: Env { floor, stack_count },
            blocks,
            trap_block,
            stop_block,
            funcs,
            helper_index,
            slow_path,
            outermost,
            prov: provenance::entry_state(start == 0),
            block_states,
            helper_sig: None,
            direct,
            leaves: false,
            fused: None,
            chained: select::chained_skips(program, start, end),
            copies: HashMap::new(),
            cold_exits: false,
        }
    }

    /// Reads register `r`.
    pub(crate) fn get(&mut self, r: oxbpf_core::Reg) -> Value {
        match self.regs.get(r.idx()) {
            Some(&var) => self.b.use_var(var),
            None => self.fp,
        }
    }

    /// Writes register `r` (never `r10`: the load-time checks reject writes to it).
    fn set(&mut self, r: oxbpf_core::Reg, v: Value) {
        if let Some(&var) = self.regs.get(r.idx()) {
            self.b.def_var(var, v);
        }
    }

    fn translate(&mut self) {
        let first = self.blocks[&self.start];
        self.b.ins().jump(first, &[]);
        let mut starts: Vec<usize> = self.blocks.keys().copied().collect();
        starts.sort_unstable();
        for (i, &start) in starts.iter().enumerate() {
            let end = starts.get(i + 1).copied().unwrap_or(self.end);
            // A skip already if-converted into its jump, with no other way in.
            if start < self.skip_to {
                continue;
            }
            self.b.switch_to_block(self.blocks[&start]);
            if !std::mem::take(&mut self.carry) {
                debug_assert!(self.pending.is_none(), "charges flushed at block end");
                self.pending = None;
            }
            self.prov = self.prov_at_block(start);
            let counted = crate::hoist::analyse(
                self.program,
                (start, end),
                self.prov,
                self.opts.frame,
                self.opts.bounds_check,
            );
            let scan = || {
                crate::hoist::analyse_scan(
                    self.program,
                    (self.start, self.end),
                    start,
                    self.prov,
                    self.opts.frame,
                    self.opts.bounds_check,
                )
            };
            match counted {
                Some(l) => self.translate_versioned_loop(start, end, &l),
                None => match scan() {
                    Some(l) => self.translate_scan_loop(start, &l),
                    None => self.translate_block(start, end),
                },
            }
        }
        self.emit_exits();
    }

    /// Translates the block `[start, end)`: its charge, its instructions, and the cold copies its
    /// merged checks need. The current Cranelift block is the block's own.
    fn translate_block(&mut self, start: usize, end: usize) {
        let prov = self.prov;
        self.charge(start);
        self.merges = crate::bounds::plan_merges(
            self.program,
            (start, end),
            prov,
            self.opts.frame,
            self.opts.bounds_check,
        );
        self.duplicated = !self.merges.leaders.is_empty() || self.loop_header.is_some();
        self.translate_range(start, end);
        self.cold_copy = true;
        while let Some((cold, pc, prov)) = self.cold_copies.pop() {
            let first_new = self.b.func.dfg.num_blocks();
            self.b.switch_to_block(cold);
            self.prov = prov;
            self.translate_range(pc, end);
            // Every block of the copy is cold too, so the layout keeps the hot path straight.
            for i in first_new..self.b.func.dfg.num_blocks() {
                self.b.set_cold_block(Block::from_u32(i as u32));
            }
        }
        for (trampoline, target) in std::mem::take(&mut self.trampolines) {
            self.b.switch_to_block(trampoline);
            self.b.ins().jump(target, &[]);
        }
        self.cold_copy = false;
        self.duplicated = false;
    }

    /// Translates a counted loop (see [`crate::hoist`]): the current block becomes the guard
    /// every entry goes through, followed by the fast and the checked copy of the loop.
    fn translate_versioned_loop(
        &mut self,
        start: usize,
        end: usize,
        l: &crate::hoist::CountedLoop,
    ) {
        self.flush_charges();
        let ok = self.hoist_guard(l);
        let fast = self.b.create_block();
        let checked = self.b.create_block();
        self.b.ins().brif(ok, fast, &[], checked, &[]);
        let prov = self.prov;
        for (blk, is_fast) in [(fast, true), (checked, false)] {
            self.b.switch_to_block(blk);
            self.prov = prov;
            self.loop_header = Some((start, blk));
            if is_fast {
                self.hoisted = l.accesses.iter().map(|a| a.pc).collect();
            }
            self.translate_block(start, end);
            self.hoisted.clear();
        }
        self.loop_header = None;
    }

    /// Translates the instructions `[from, to)` of one block, then, if control falls off its
    /// end, jumps to the next block.
    fn translate_range(&mut self, from: usize, to: usize) {
        for pc in from..to {
            let insn = self.program.insns()[pc];
            if !self.insn(pc, &insn) {
                return;
            }
            provenance::step(&mut self.prov, &insn);
        }
        // Falling off the function's end is unreachable for checked programs.
        self.flush_charges();
        let next = self.edge_to(to);
        self.b.ins().jump(next, &[]);
    }

    /// Pays the budget of the block starting at `pc`.
    fn charge(&mut self, pc: usize) {
        if !self.opts.count {
            return;
        }
        let cost = i64::from(self.program.block_cost(pc));
        let rem = self.b.use_var(self.remaining);
        if self.opts.budget {
            let short = self.b.ins().icmp_imm_u(
                cranelift_codegen::ir::condcodes::IntCC::UnsignedLessThan,
                rem,
                cost,
            );
            self.trap_if(short, TrapCode::BudgetExhausted, pc, None, 0);
        }
        let rem = self.b.use_var(self.remaining);
        let rem = self.b.ins().iadd_imm_s(rem, -cost);
        self.b.def_var(self.remaining, rem);
    }

    /// Adds `amount` to the charges not yet subtracted from the budget.
    pub(crate) fn defer_charge(&mut self, amount: Value) {
        let sum = match self.pending {
            Some(p) => self.b.ins().iadd(p, amount),
            None => amount,
        };
        self.pending = Some(sum);
    }

    /// Subtracts the deferred charges from the budget; called before every branch out of the
    /// current block and every use of the budget.
    pub(crate) fn flush_charges(&mut self) {
        if let Some(p) = self.pending.take() {
            let rem = self.b.use_var(self.remaining);
            let rem = self.b.ins().isub(rem, p);
            self.b.def_var(self.remaining, rem);
        }
    }

    /// Branches to the trap block when `cond` holds, recording `code` at `pc`.
    pub(crate) fn trap_if(
        &mut self,
        cond: Value,
        code: TrapCode,
        pc: usize,
        addr: Option<Value>,
        len: i64,
    ) {
        let len = self.b.ins().iconst(types::I64, len);
        self.trap_if_len(cond, code, pc, addr, len);
    }

    /// [`trap_if`](Self::trap_if) with a length computed at run time.
    pub(crate) fn trap_if_len(
        &mut self,
        cond: Value,
        code: TrapCode,
        pc: usize,
        addr: Option<Value>,
        len: Value,
    ) {
        self.flush_charges();
        let cont = self.b.create_block();
        let code = self.b.ins().iconst(types::I64, code as i64);
        let pcv = self.b.ins().iconst(types::I64, pc as i64);
        let addr = addr.unwrap_or_else(|| self.b.ins().iconst(types::I64, 0));
        self.b.ins().brif(
            cond,
            self.trap_block,
            &[code.into(), pcv.into(), addr.into(), len.into()],
            cont,
            &[],
        );
        self.b.switch_to_block(cont);
    }

    /// Leaves the function when the runtime stopped the run.
    fn stop_if_stopped(&mut self) {
        self.flush_charges();
        let stop = self.b.ins().load(types::I64, VM, self.vmctx, off::STOP);
        let cont = self.b.create_block();
        self.b.ins().brif(stop, self.stop_block, &[], cont, &[]);
        self.b.switch_to_block(cont);
    }

    /// Returns from the function: with `r0` (or 0, for a run that stopped early) from a direct
    /// entry, with nothing from a function whose registers live in the context block.
    pub(crate) fn ret(&mut self, r0: Option<Value>) {
        if self.direct.is_some() {
            let v = r0.unwrap_or_else(|| self.b.ins().iconst(types::I64, 0));
            self.b.ins().return_(&[v]);
        } else {
            self.b.ins().return_(&[]);
        }
    }

    /// Stores `r0`–`r9` (or `r0`–`r5`) into the context block's register file.
    fn spill_regs(&mut self, count: usize) {
        for i in 0..count {
            let v = self.b.use_var(self.regs[i]);
            self.b.ins().store(VM, v, self.vmctx, reg_offset(i));
        }
    }

    fn save_budget(&mut self) {
        self.flush_charges();
        if self.opts.count {
            let rem = self.b.use_var(self.remaining);
            self.b.ins().store(VM, rem, self.vmctx, off::REMAINING);
        }
    }

    /// The shared trap and stop blocks.
    fn emit_exits(&mut self) {
        let (trap, stop) = (self.trap_block, self.stop_block);
        self.b.switch_to_block(trap);
        let p = self.b.block_params(trap).to_vec();
        let fields = crate::abi::trap_fields(self.direct.is_some());
        for (v, field) in p.iter().zip(fields) {
            self.b.ins().store(VM, *v, self.vmctx, field);
        }
        self.b.ins().jump(stop, &[]);
        self.b.switch_to_block(stop);
        self.save_budget();
        self.ret(None);
    }

    /// Translates one instruction; returns whether control can fall through to the next.
    fn insn(&mut self, pc: usize, insn: &Insn) -> bool {
        if self.fused.take() == Some(pc) {
            return true;
        }
        match *insn {
            Insn::Alu {
                width,
                op,
                dst,
                src,
            } => {
                if !self.fuse_div_mul(pc) {
                    self.alu(width, op, dst, src);
                }
            }
            Insn::Neg { width, dst } => self.neg(width, dst),
            Insn::Endian { order, bits, dst } => self.endian(order, bits, dst),
            Insn::Load {
                size,
                signed,
                dst,
                src,
                off,
            } => self.load(pc, size, signed, dst, src, off),
            Insn::Store {
                size,
                dst,
                off,
                src,
            } => self.store(pc, size, dst, off, src),
            Insn::Atomic {
                size,
                op,
                dst,
                src,
                off,
            } => self.atomic(pc, size, op, dst, src, off),
            Insn::LoadImm64 { dst, imm, .. } => {
                let v = self.b.ins().iconst(types::I64, imm as i64);
                self.set(dst, v);
            }
            Insn::LoadImm64Tail => {}
            Insn::LoadPacket { size, mode, imm } => self.load_packet(pc, size, mode, imm),
            Insn::Ja { .. } | Insn::Ja32 { .. } => {
                self.flush_charges();
                let t = self.target(pc, insn);
                self.b.ins().jump(t, &[]);
                return false;
            }
            Insn::Jump {
                width,
                cond,
                dst,
                src,
                ..
            } => {
                self.jump(pc, insn, width, cond, dst, src);
                return false;
            }
            Insn::Call { helper } => self.call_helper(pc, helper),
            Insn::Callx { reg } => self.callx(pc, reg),
            Insn::CallLocal { .. } => self.call_local(pc, insn),
            // Rejected at load time; were one reached, it would trap as an unknown helper.
            Insn::CallRuntime { .. } => self.call_helper(pc, u32::MAX),
            Insn::Exit => {
                self.exit();
                return false;
            }
        }
        true
    }

    /// The Cranelift block of a jump's target.
    fn target(&mut self, pc: usize, insn: &Insn) -> Block {
        let t = insn.target_index(pc).unwrap_or(pc + 1);
        if let Some((header, blk)) = self.loop_header
            && header == t
        {
            return self.leave(blk);
        }
        self.edge_to(t)
    }

    /// The block a branch or fall-through to the program block at `pc` goes to (see
    /// [`leave`](Self::leave)); from the fast copy of a scanning loop to outside it, a cold
    /// trampoline, so the loop's own path is the straight one.
    pub(crate) fn edge_to(&mut self, pc: usize) -> Block {
        // Checked programs only jump to block starts inside their function.
        let blk = self.block_at(pc).unwrap_or(self.stop_block);
        if self.cold_exits && !self.copies.contains_key(&pc) {
            return self.trampoline(blk);
        }
        self.leave(blk)
    }

    /// The block a branch to `target` goes to. In a cold copy that is a cold trampoline, so the
    /// register moves on the way back into hot code sit in cold code: Cranelift places the blocks
    /// it splits off an edge with the edge's target, inside the hot path.
    pub(crate) fn leave(&mut self, target: Block) -> Block {
        if !self.cold_copy {
            return target;
        }
        self.trampoline(target)
    }

    /// A cold block that jumps to `target` (filled once the current block's copies are done).
    fn trampoline(&mut self, target: Block) -> Block {
        let trampoline = self.b.create_block();
        self.b.set_cold_block(trampoline);
        self.trampolines.push((trampoline, target));
        trampoline
    }

    /// The Cranelift block of the program block at `pc`: its copy while a copy of a loop is
    /// translated (see [`scan`]), else its own.
    pub(crate) fn block_at(&self, pc: usize) -> Option<Block> {
        self.copies
            .get(&pc)
            .or_else(|| self.blocks.get(&pc))
            .copied()
    }

    /// The provenance of the registers where the block at `pc` starts.
    pub(crate) fn prov_at_block(&self, pc: usize) -> State {
        self.block_states
            .get(&pc)
            .copied()
            .unwrap_or_else(|| provenance::entry_state(false))
    }

    /// The provenance of `r` before the current instruction.
    pub(crate) fn prov(&self, r: oxbpf_core::Reg) -> Prov {
        self.prov[r.idx()]
    }
}
