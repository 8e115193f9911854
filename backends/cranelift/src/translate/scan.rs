//! Scanning loops versioned in chunks (see [`crate::hoist`]): a guard, a fast copy of the loop's
//! blocks, unrolled, without the checks the guard covers, which counts its iterations down, and a
//! checked copy for one iteration at a time when the guard covers too few.

use super::FnTranslator;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Block, InstBuilder, Value, types};

/// Iterations of the fast copy per count-down step.
const UNROLL: usize = 4;

impl FnTranslator<'_, '_> {
    /// How many iterations, from the registers at the guard, keep every access of `l` in the
    /// context: for an access at `rel` from the context's start with `count` valid starts,
    /// `count - rel` (the register steps by 1), or 0 if `rel` is not below `count`; the least
    /// over the accesses. An access that does not move is in for every iteration or none.
    fn scan_guard(&mut self, l: &crate::hoist::ScanLoop) -> Value {
        let mut chunk = self.b.ins().iconst(types::I64, -1);
        let zero = self.b.ins().iconst(types::I64, 0);
        for a in &l.accesses {
            let mut addr = self.hoisted_base(a);
            if a.with_iv {
                let v = self.get(l.iv);
                addr = self.b.ins().iadd(addr, v);
            }
            let (rel, count) = self.ctx_rel_count(addr, a.size);
            let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, rel, count);
            let iterations = if a.with_iv {
                self.b.ins().isub(count, rel)
            } else {
                self.b.ins().iconst(types::I64, -1)
            };
            let iterations = self.b.ins().select(inside, iterations, zero);
            chunk = self.b.ins().umin(chunk, iterations);
        }
        chunk
    }

    /// Translates the scanning loop `l` whose head is the block at `start`; the current block
    /// becomes its guard, which every entry, every spent chunk and every checked iteration goes
    /// through. The fast copy runs while at least [`UNROLL`] iterations are covered.
    pub(super) fn translate_scan_loop(&mut self, start: usize, l: &crate::hoist::ScanLoop) {
        self.flush_charges();
        let guard = self.b.current_block().unwrap_or(self.stop_block);
        let chunk = self.scan_guard(l);
        let left = self.b.declare_var(types::I64);
        self.b.def_var(left, chunk);
        let heads: Vec<Block> = (0..UNROLL).map(|_| self.b.create_block()).collect();
        let checked = self.b.create_block();
        let latch = self.b.create_block();
        let enough =
            self.b
                .ins()
                .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, chunk, UNROLL as i64);
        self.b.ins().brif(enough, heads[0], &[], checked, &[]);
        let starts: Vec<usize> = (start..l.end)
            .filter(|&pc| self.program.is_block_start(pc))
            .collect();
        // The fast copy, unrolled: each iteration's back edge enters the next one.
        let copies = (0..UNROLL)
            .map(|u| (heads[u], heads.get(u + 1).copied().unwrap_or(latch), true))
            .chain([(checked, guard, false)]);
        for (head, back, is_fast) in copies {
            self.copies = starts
                .iter()
                .map(|&pc| {
                    (
                        pc,
                        if pc == start {
                            head
                        } else {
                            self.b.create_block()
                        },
                    )
                })
                .collect();
            // The back edge goes to the next head, the latch or the guard.
            self.loop_header = Some((start, back));
            if is_fast {
                self.hoisted = l.accesses.iter().map(|a| a.pc).collect();
                self.cold_exits = true;
            }
            for (i, &pc) in starts.iter().enumerate() {
                let end = starts.get(i + 1).copied().unwrap_or(l.end);
                let blk: Block = self.copies[&pc];
                self.b.switch_to_block(blk);
                self.pending = None;
                self.carry = false;
                self.prov = self.prov_at_block(pc);
                self.translate_block(pc, end);
            }
            self.hoisted.clear();
            self.cold_exits = false;
        }
        self.copies.clear();
        self.loop_header = None;
        // `UNROLL` iterations of the chunk done: more in the fast copy, or back to the guard.
        self.b.switch_to_block(latch);
        let n = self.b.use_var(left);
        let n = self.b.ins().iadd_imm_s(n, -(UNROLL as i64));
        self.b.def_var(left, n);
        let more = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, n, UNROLL as i64);
        self.b.ins().brif(more, heads[0], &[], guard, &[]);
        self.skip_to = self.skip_to.max(l.end);
    }
}
