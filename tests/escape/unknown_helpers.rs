//! Must-reject programs, category 1: helpers the verifier cannot model.

use crate::asm::{AT_FP8, STB_R1, USE, look, prog, prog_fn, spill_value};
use crate::harness::{Case, reject};
use crate::host_helpers::{FILL, NUDGE, POKE};
use crate::maps::{array, ring};

pub(crate) fn helpers_without_prototypes() -> Vec<Case> {
    let sv = spill_value();
    let nudge_fp8 = |delta: i32, width: u32| {
        format!("{AT_FP8}mov %r2, {delta}\nmov %r3, {width}\ncall {NUDGE}\n")
    };
    let lookup_args = "stw [%r10-64], 0\nmov %r2, %r10\nadd %r2, -64\nlddw %r1, map_idx 0\n";
    let nudged = prog(&format!("{sv}{}{USE}", nudge_fp8(16, 8)));
    let poked = prog(&format!(
        "{sv}{AT_FP8}ldxdw %r2, [%r6+16]\ncall {POKE}\n{USE}"
    ));
    let filled = prog(&format!(
        "stdw [%r10-16], -8\nmov %r1, %r10\nadd %r1, -15\nmov %r2, 1\nmov %r3, 0xfd\n\
         call {FILL}\nldxdw %r3, [%r10-16]\nmov %r4, %r10\nadd %r4, %r3\n\
         stdw [%r4+0], 0x41\nmov %r0, 0\nexit\n"
    ));
    let callx_lookup = prog(&format!(
        "ldxdw %r7, [%r6+48]\n{lookup_args}call %r7\nexit\n"
    ));
    vec![
        reject(
            "noproto_nudges_spilled_map_value",
            "a helper without prototype moves a spilled map value pointer 16 bytes on",
            nudged.clone(),
        )
        .worst(),
        reject(
            "noproto_nudge_refused",
            "the same, with calls without prototype refused",
            nudged,
        ),
        reject(
            "noproto_pokes_aimed_address_over_spill",
            "a helper without prototype overwrites a spilled map value pointer with an address",
            poked.clone(),
        )
        .worst(),
        reject(
            "noproto_poke_refused",
            "the same, with calls without prototype refused",
            poked,
        ),
        reject(
            "noproto_nudges_spilled_stack_pointer",
            "a spilled stack pointer moved 600 bytes down by a helper, then stored through",
            prog(&format!(
                "mov %r3, %r10\nadd %r3, -16\nstxdw [%r10-8], %r3\n{}{USE}",
                nudge_fp8(-600, 8)
            )),
        )
        .worst(),
        reject(
            "noproto_nudges_spilled_context_pointer",
            "a spilled context pointer moved past the context by a helper",
            prog(&format!(
                "stxdw [%r10-8], %r6\n{}ldxdw %r1, [%r10-8]\n{STB_R1}",
                nudge_fp8(96, 8)
            )),
        )
        .worst(),
        reject(
            "noproto_nudges_spilled_offset",
            "a spilled offset -8 becomes -608 behind the verifier's back, then r10 + offset",
            prog(&format!(
                "stdw [%r10-16], -8\nmov %r1, %r10\nadd %r1, -16\nmov %r2, -600\nmov %r3, 8\n\
                 call {NUDGE}\nldxdw %r3, [%r10-16]\nmov %r4, %r10\nadd %r4, %r3\n\
                 stdw [%r4+0], 0x41\nmov %r0, 0\nexit\n"
            )),
        )
        .worst(),
        reject(
            "noproto_nudges_narrow_spilled_index",
            "a 4-byte spilled index 4 becomes 32, then indexes a 16-byte value",
            prog(&format!(
                "{}mov %r7, %r0\nstw [%r10-4], 4\nmov %r1, %r10\nadd %r1, -4\nmov %r2, 28\n\
                 mov %r3, 4\ncall {NUDGE}\nldxw %r3, [%r10-4]\nadd %r7, %r3\n\
                 stdw [%r7+0], 0x41\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .worst(),
        reject(
            "noproto_nudges_low_half_of_spilled_pointer",
            "a helper rewrites the low 4 bytes of a spilled map value pointer",
            prog(&format!("{sv}{}{USE}", nudge_fp8(32, 4))),
        )
        .worst(),
        reject(
            "noproto_fill_rewrites_spilled_offset_byte",
            "one byte of a spilled offset -8 rewritten, making it -520",
            filled.clone(),
        )
        .worst(),
        reject(
            "noproto_fill_refused",
            "the same, with calls without prototype refused",
            filled,
        ),
        reject(
            "noproto_callee_nudges_caller_spill",
            "a bpf-to-bpf callee moves the caller's spilled pointer through a helper",
            prog_fn(
                &format!("{sv}{AT_FP8}call local bump\n{USE}"),
                &format!("bump:\nmov %r2, 16\nmov %r3, 8\ncall {NUDGE}\nexit\n"),
            ),
        )
        .worst(),
        reject(
            "noproto_nudges_in_a_loop",
            "a loop moves a spilled pointer 8 bytes per iteration, twice",
            prog(&format!(
                "{sv}mov %r8, 0\nloop:\n{}add %r8, 1\njlt %r8, 2, loop\n{USE}",
                nudge_fp8(8, 8)
            )),
        )
        .worst(),
        reject(
            "noproto_nudges_behind_a_branch",
            "a spilled pointer moved only when the context says so",
            prog(&format!(
                "ldxdw %r8, [%r6+32]\n{sv}jne %r8, 1, skip\n{}skip:\n{USE}",
                nudge_fp8(16, 8)
            )),
        )
        .worst(),
        reject(
            "callx_id_from_context_returns_map_value",
            "callx of the helper id the context holds (map_lookup_elem): r0 is a map value",
            callx_lookup.clone(),
        )
        .worst(),
        reject(
            "callx_id_from_context_refused",
            "the same, with calls without prototype refused",
            callx_lookup,
        ),
        reject(
            "callx_id_from_map_value_leaks_into_context",
            "callx of an id read back from a map value, its pointer result stored in the context",
            prog(&format!(
                "{}stdw [%r0+0], 1\nldxdw %r7, [%r0+0]\n{lookup_args}call %r7\n\
                 stxdw [%r6+24], %r0\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .worst(),
        reject(
            "callx_unregistered_id",
            "callx of a helper id nobody registered",
            prog("mov %r3, 777\ncall %r3\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "callx_reaches_probe_read_over_spill",
            "callx of a computed id (probe_read) that rewrites a spilled pointer",
            prog(&format!(
                "{sv}ldxdw %r5, [%r6+48]\nadd %r5, 3\n{AT_FP8}mov %r2, 8\nmov %r3, %r6\n\
                 add %r3, 16\ncall %r5\n{USE}"
            )),
        )
        .worst(),
        reject(
            "noproto_nudges_spilled_bounded_index",
            "an index bounded by a mask, spilled, grown by a helper, then used",
            prog(&format!(
                "ldxdw %r8, [%r6+56]\nand %r8, 7\n{}mov %r7, %r0\nstxdw [%r10-16], %r8\n\
                 mov %r1, %r10\nadd %r1, -16\nmov %r2, 64\nmov %r3, 8\ncall {NUDGE}\n\
                 ldxdw %r3, [%r10-16]\nadd %r7, %r3\nstdw [%r7+0], 0x41\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .worst(),
        reject(
            "callx_reserve_record_leaks",
            "callx of a computed id (ringbuf_reserve): a record taken for a number, never submitted",
            prog(
                "ldxdw %r5, [%r6+48]\nadd %r5, 130\nlddw %r1, map_idx 1\nmov %r2, 8\nmov %r3, 0\n\
                 call %r5\nmov %r7, %r0\nmov %r0, 0\njeq %r7, 0, +1\nmov %r0, 1\nexit\n",
            ),
        )
        .maps(&[array(), ring()])
        .worst()
        .quiet(),
    ]
}
