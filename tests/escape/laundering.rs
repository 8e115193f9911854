//! Must-reject programs, category 3: pointer laundering.

use crate::asm::{AT_FP8, STB_R1, USE, look, prog, prog_fn, reserve, spill_value};
use crate::harness::{Case, reject};
use crate::host_helpers::{COPY, FIRST_WORD};
use crate::maps::{array, lifo, ring};

/// Turns the number in r7 (the laundered value of r10) into a pointer at the stack canary and
/// stores through it.
const AIM_STACK_FROM_R7: &str = "ldxdw %r8, [%r6+8]\nsub %r8, %r7\nmov %r1, %r10\nadd %r1, %r8\n\
                                 stdw [%r1+0], 0x41\nmov %r0, 0\nexit\n";

/// fp-16 = the bytes of the spilled pointer at fp-8, by `probe_read`.
const PROBE_FP8_TO_FP16: &str =
    "mov %r1, %r10\nadd %r1, -16\nmov %r2, 8\nmov %r3, %r10\nadd %r3, -8\ncall 4\n";

pub(crate) fn pointer_laundering() -> Vec<Case> {
    let stack_probe = prog(&format!(
        "stxdw [%r10-8], %r10\n{PROBE_FP8_TO_FP16}ldxdw %r7, [%r10-16]\n{AIM_STACK_FROM_R7}"
    ));
    let via_map = prog(&format!(
        "stxdw [%r10-16], %r10\nstdw [%r10-8], 0\nstw [%r10-64], 0\nlddw %r1, map_idx 0\n\
         mov %r2, %r10\nadd %r2, -64\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 2\n\
         {}ldxdw %r7, [%r0+0]\n{AIM_STACK_FROM_R7}",
        look()
    ));
    let push_then = |id: u32| {
        prog(&format!(
            "stxdw [%r10-8], %r10\nlddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 0\n\
             call 87\nlddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -16\ncall {id}\n\
             ldxdw %r7, [%r10-16]\n{AIM_STACK_FROM_R7}"
        ))
    };
    let probe_part = |len: u32, src: i32| {
        prog(&format!(
            "stxdw [%r10-8], %r10\nmov %r1, %r10\nadd %r1, -16\nmov %r2, {len}\n\
             mov %r3, %r10\nadd %r3, {src}\ncall 4\nldxw %r0, [%r10-16]\nexit\n"
        ))
    };
    vec![
        reject(
            "launder_stack_pointer_with_probe_read",
            "probe_read copies a spilled r10 into a number slot; r10 + (aim - it) stores",
            stack_probe.clone(),
        ),
        reject(
            "launder_stack_pointer_leaks_allowed",
            "the same with pointer leaks allowed: r10 + unknown must still be refused",
            stack_probe,
        )
        .leaks(),
        reject(
            "launder_map_value_pointer_leaks_allowed",
            "a map value pointer laundered by probe_read, then value + (aim - it)",
            prog(&format!(
                "{}mov %r9, %r0\nstxdw [%r10-8], %r0\n{PROBE_FP8_TO_FP16}ldxdw %r7, [%r10-16]\n\
                 ldxdw %r8, [%r6+16]\nsub %r8, %r7\nadd %r9, %r8\nstdw [%r9+0], 0x41\n\
                 mov %r0, 0\nexit\n",
                look()
            )),
        )
        .leaks(),
        reject(
            "launder_context_pointer_leaks_allowed",
            "the context pointer laundered by probe_read, then ctx + (aim - it)",
            prog(&format!(
                "stxdw [%r10-8], %r6\n{PROBE_FP8_TO_FP16}ldxdw %r7, [%r10-16]\n\
                 ldxdw %r8, [%r6+0]\nsub %r8, %r7\nmov %r1, %r6\nadd %r1, %r8\n{STB_R1}"
            )),
        )
        .leaks(),
        reject(
            "launder_through_map_update_and_lookup",
            "r10 stored into a map by map_update_elem's value, read back as a number",
            via_map.clone(),
        ),
        reject(
            "launder_through_map_leaks_allowed",
            "the same with pointer leaks allowed",
            via_map,
        )
        .leaks(),
        reject(
            "launder_context_pointer_into_ring",
            "ringbuf_output of a stack slot holding the context pointer",
            prog(
                "stxdw [%r10-8], %r6\nlddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\n\
                 mov %r3, 8\nmov %r4, 0\ncall 130\nmov %r0, 0\nexit\n",
            ),
        )
        .maps(&[array(), ring()]),
        reject(
            "launder_through_stack_map_push_pop",
            "r10 pushed onto a stack map and popped back as a number",
            push_then(88),
        )
        .maps(&[array(), lifo(8)]),
        reject(
            "launder_through_stack_map_peek",
            "r10 pushed onto a stack map and peeked back as a number",
            push_then(89),
        )
        .maps(&[array(), lifo(8)]),
        reject(
            "launder_with_mem_helper",
            "a host helper reading Mem, Size returns the spilled r10 as a number",
            prog(&format!(
                "stxdw [%r10-8], %r10\n{AT_FP8}mov %r2, 8\ncall {FIRST_WORD}\nexit\n"
            )),
        ),
        reject(
            "launder_with_copy_helper",
            "a host copy helper moves the spilled r10 into a number slot",
            prog(&format!(
                "stxdw [%r10-8], %r10\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 8\nmov %r3, %r10\n\
                 add %r3, -8\nmov %r4, 8\ncall {COPY}\nldxdw %r7, [%r10-16]\n{AIM_STACK_FROM_R7}"
            )),
        ),
        reject(
            "launder_low_half_of_stack_pointer",
            "probe_read of the low 4 bytes of a spilled r10, returned",
            probe_part(4, -8),
        )
        .quiet(),
        reject(
            "launder_high_half_of_stack_pointer",
            "probe_read of the high 4 bytes of a spilled r10, returned",
            probe_part(4, -4),
        )
        .quiet(),
        reject(
            "launder_with_probe_read_str",
            "probe_read_str of a spilled stack pointer, returned as a number",
            prog(
                "mov %r3, %r10\nadd %r3, -7\nstxdw [%r10-8], %r3\nstdw [%r10-16], 0\n\
                 mov %r1, %r10\nadd %r1, -16\nmov %r2, 8\nmov %r3, %r10\nadd %r3, -8\ncall 45\n\
                 ldxdw %r0, [%r10-16]\nexit\n",
            ),
        )
        .quiet(),
        reject(
            "launder_bytewise_in_a_loop",
            "a loop reassembles a spilled r10 from its bytes",
            prog(
                "stxdw [%r10-8], %r10\nmov %r7, 0\nmov %r8, 0\nloop:\nmov %r3, %r10\n\
                 add %r3, -8\nadd %r3, %r8\nldxb %r4, [%r3+0]\nmov %r5, %r8\nlsh %r5, 3\n\
                 lsh %r4, %r5\nor %r7, %r4\nadd %r8, 1\njlt %r8, 8, loop\nmov %r0, %r7\nexit\n",
            ),
        ),
        reject(
            "launder_atomic_add_moves_spilled_pointer",
            "an atomic add of 16 to a spilled map value pointer, then a store through it",
            prog(&format!(
                "{}mov %r8, 16\nlock add [%r10-8], %r8\n{USE}",
                spill_value()
            )),
        ),
        reject(
            "launder_atomic_fetch_add_reads_pointer",
            "atomic fetch-add of 0 on a spilled r10 fetches it as a number",
            prog(
                "stxdw [%r10-8], %r10\nmov %r7, 0\nlock fetch add [%r10-8], %r7\nmov %r0, %r7\n\
                 exit\n",
            ),
        ),
        reject(
            "launder_atomic_xchg_into_context",
            "atomic xchg takes a spilled context pointer out as a number into the context",
            prog(
                "stxdw [%r10-8], %r6\nmov %r7, 0\nlock xchg [%r10-8], %r7\nstxdw [%r6+24], %r7\n\
                 mov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "launder_atomic_cmpxchg_returns_pointer",
            "cmpxchg on a spilled r10 returns it in r0",
            prog(
                "stxdw [%r10-8], %r10\nmov %r0, 0\nmov %r7, 0\nlock cmpxchg [%r10-8], %r7\nexit\n",
            ),
        ),
        reject(
            "launder_through_callee",
            "a callee probe_reads its caller's spilled r10 and returns it",
            prog_fn(
                &format!("stxdw [%r10-8], %r10\n{AT_FP8}call local f\nexit\n"),
                "f:\nmov %r3, %r1\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 4\n\
                 ldxdw %r0, [%r10-8]\nexit\n",
            ),
        ),
        reject(
            "launder_into_ring_record",
            "probe_read copies a spilled r10 into a ring record, which is submitted",
            prog(&format!(
                "stxdw [%r10-8], %r10\n{}mov %r7, %r0\nmov %r1, %r0\nmov %r2, 8\nmov %r3, %r10\n\
                 add %r3, -8\ncall 4\nmov %r1, %r7\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n",
                reserve(1, 8)
            )),
        )
        .maps(&[array(), ring()]),
    ]
}
