//! Helper calls (through the runtime table in the context block), local calls (direct calls
//! between compiled functions, each with its own frame) and `exit`.

use super::{FnTranslator, VM};
use crate::abi::{off, reg_offset};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{AbiParam, InstBuilder, SigRef, Signature, Value, types};
use oxbpf_core::{Access, ArgLen, Insn, Reg, TrapCode};

impl FnTranslator<'_, '_> {
    fn import_sig(&mut self, params: usize) -> SigRef {
        let mut sig = Signature::new(self.b.func.signature.call_conv);
        sig.params
            .extend(std::iter::repeat_n(AbiParam::new(types::I64), params));
        sig.returns.push(AbiParam::new(types::I64));
        self.b.import_signature(sig)
    }

    fn helper_sig(&mut self) -> SigRef {
        match self.helper_sig {
            Some(s) => s,
            None => {
                let s = self.import_sig(9);
                self.helper_sig = Some(s);
                s
            }
        }
    }

    /// Calls the runtime entry at `field` with `selector` (helper index or id) and `r1`–`r5`.
    fn runtime_helper_call(&mut self, pc: usize, field: i32, selector: Value) {
        self.check_context_args(pc);
        self.leaves = true;
        let sig = self.helper_sig();
        let callee = self.b.ins().load(types::I64, VM, self.vmctx, field);
        let pcv = self.b.ins().iconst(types::I64, pc as i64);
        let mut args = vec![self.vmctx, selector, pcv, self.fp];
        for r in 1..=5u8 {
            let v = self.get(Reg::new(r).unwrap_or(Reg::R1));
            args.push(v);
        }
        let call = self.b.ins().call_indirect(sig, callee, &args);
        let r0 = self.b.inst_results(call)[0];
        self.stop_if_stopped();
        self.set(Reg::R0, r0);
    }

    /// Traps unless each helper argument into the context that the verifier could not bound
    /// (`Program::context_args_at`) lies in the context: `len` bytes at its pointer, none at all
    /// for a length of 0.
    fn check_context_args(&mut self, pc: usize) {
        let program = self.program;
        for a in program.context_args_at(pc) {
            let ptr = self.get(a.ptr);
            let len = match a.len {
                ArgLen::Reg(r) => self.get(r),
                ArgLen::Const(n) => self.b.ins().iconst(types::I64, i64::from(n)),
            };
            let (rel, ctx_len) = self.ctx_rel_count(ptr, 1);
            let past = self
                .b
                .ins()
                .icmp(IntCC::UnsignedGreaterThanOrEqual, rel, ctx_len);
            let room = self.b.ins().isub(ctx_len, rel);
            let long = self.b.ins().icmp(IntCC::UnsignedGreaterThan, len, room);
            let bad = self.b.ins().bor(past, long);
            let some = self.b.ins().icmp_imm_u(IntCC::NotEqual, len, 0);
            let outside = self.b.ins().band(bad, some);
            let write = if a.write {
                crate::abi::trap_len(0, Access::Write)
            } else {
                0
            };
            let tlen = self.b.ins().bor_imm_u(len, write as i64);
            self.trap_if_len(outside, TrapCode::OutOfBounds, pc, Some(ptr), tlen);
        }
    }

    pub(super) fn call_helper(&mut self, pc: usize, helper: u32) {
        let index = self
            .helper_index
            .get(&helper)
            .map_or(u64::MAX, |&i| u64::from(i));
        let sel = self.b.ins().iconst(types::I64, index as i64);
        self.runtime_helper_call(pc, off::CALL_HELPER, sel);
    }

    pub(super) fn callx(&mut self, pc: usize, reg: Reg) {
        let id = self.get(reg);
        self.runtime_helper_call(pc, off::CALL_HELPER_ID, id);
    }

    pub(super) fn call_local(&mut self, pc: usize, insn: &Insn) {
        self.leaves = true;
        let target = insn.target_index(pc).unwrap_or(0);
        let Some(&callee) = self.funcs.get(&target) else {
            // Checked programs only call function entries.
            self.b.ins().jump(self.stop_block, &[]);
            let dead = self.b.create_block();
            self.b.switch_to_block(dead);
            return;
        };
        let depth = self.b.ins().load(types::I64, VM, self.vmctx, off::DEPTH);
        let full = self.b.ins().icmp_imm_u(
            IntCC::UnsignedGreaterThanOrEqual,
            depth,
            self.opts.max_depth as i64,
        );
        self.trap_if(full, TrapCode::CallDepthExceeded, pc, None, 0);
        let deeper = self.b.ins().iadd_imm_s(depth, 1);
        self.b.ins().store(VM, deeper, self.vmctx, off::DEPTH);
        self.spill_regs(10);
        self.save_budget();
        let fp = self.b.ins().iadd_imm_s(self.fp, -self.opts.frame);
        self.b.ins().call(callee, &[self.vmctx, fp]);
        self.b.ins().store(VM, depth, self.vmctx, off::DEPTH);
        if self.opts.count {
            let rem = self
                .b
                .ins()
                .load(types::I64, VM, self.vmctx, off::REMAINING);
            self.b.def_var(self.remaining, rem);
        }
        for i in 0..6 {
            let v = self.b.ins().load(types::I64, VM, self.vmctx, reg_offset(i));
            self.b.def_var(self.regs[i], v);
        }
        self.stop_if_stopped();
    }

    pub(super) fn exit(&mut self) {
        if self.direct.is_some() {
            let r0 = self.get(Reg::R0);
            self.ret(Some(r0));
            return;
        }
        // A local call's caller gets `r0`-`r5` back; the host reads only `r0`, and keeping just
        // that live shortens every register's live range in the outermost function.
        self.spill_regs(if self.outermost { 1 } else { 6 });
        self.save_budget();
        self.ret(None);
    }
}
