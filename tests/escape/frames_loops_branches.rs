//! Must-reject programs, category 8, neighbours: attacks through frames, loops and branches.

use crate::asm::{STB_R1, USE, look, look_or, prog, prog_fn};
use crate::harness::{Case, reject};

pub(crate) fn frames_loops_branches() -> Vec<Case> {
    let trigger = "ldxdw %r8, [%r6+32]\n";
    let fret = "fret:\nmov %r0, 0\nexit\n";
    vec![
        reject(
            "callee_writes_above_caller_frame",
            "a callee stores 8 bytes past the caller's fp-8 it was given",
            prog_fn(
                "mov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\nexit\n",
                "f:\nstdw [%r1+8], 0x41\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "callee_clobbers_own_spill_through_caller_pointer",
            "a callee writes below the caller's frame, over its own spilled map value pointer",
            prog_fn(
                "mov %r1, %r10\nadd %r1, -512\nmov %r2, %r6\ncall local f\nmov %r0, 0\nexit\n",
                &format!(
                    "f:\nmov %r7, %r1\nmov %r8, %r2\n{}stxdw [%r10-8], %r0\nldxdw %r9, [%r8+16]\n\
                     stxdw [%r7-8], %r9\nldxdw %r1, [%r10-8]\nstdw [%r1+0], 0x41\n{fret}",
                    look_or(0, 0, "fret")
                ),
            ),
        ),
        reject(
            "callee_returns_stack_pointer_written_by_caller",
            "a callee returns its fp-8; the caller stores through it",
            prog_fn(
                "call local f\nstdw [%r0+0], 0x41\nmov %r0, 0\nexit\n",
                "f:\nmov %r0, %r10\nadd %r0, -8\nexit\n",
            ),
        ),
        reject(
            "callee_returns_stack_pointer_read_by_caller",
            "a callee returns its fp-8; the caller loads through it",
            prog_fn(
                "call local f\nldxdw %r0, [%r0+0]\nexit\n",
                "f:\nmov %r0, %r10\nadd %r0, -8\nstdw [%r0+0], 7\nexit\n",
            ),
        ),
        reject(
            "callee_writes_past_map_value",
            "a callee stores at +16 of the 16-byte value it was given",
            prog_fn(
                &format!("{}mov %r1, %r0\ncall local f\nmov %r0, 0\nexit\n", look()),
                "f:\nstb [%r1+16], 0x41\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "callee_context_plus_unknown",
            "a callee stores at ctx + an unbounded number it was given",
            prog_fn(
                "mov %r1, %r6\nldxdw %r2, [%r6+24]\ncall local f\nmov %r0, 0\nexit\n",
                &format!("f:\nadd %r1, %r2\n{STB_R1}"),
            ),
        ),
        reject(
            "callee_length_check_off_by_one",
            "a callee checks an index <= 16 against a 16-byte value",
            prog_fn(
                &format!(
                    "{}mov %r1, %r0\nldxdw %r2, [%r6+64]\ncall local f\nmov %r0, 0\nexit\n",
                    look()
                ),
                &format!("f:\njgt %r2, 16, fret\nadd %r1, %r2\nstb [%r1+0], 0x41\n{fret}"),
            ),
        ),
        reject(
            "nested_callee_writes_above_main_frame",
            "main's fp-8 handed down two calls, stored 8 bytes past",
            prog_fn(
                "mov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\nexit\n",
                "f:\ncall local g\nexit\ng:\nstdw [%r1+8], 0x41\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "loop_over_value_off_by_one",
            "a loop storing bytes 0..=16 of a 16-byte value",
            prog(&format!(
                "{}mov %r7, 0\nloop:\nmov %r1, %r0\nadd %r1, %r7\nstb [%r1+0], 0x41\n\
                 add %r7, 1\njle %r7, 16, loop\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "loop_over_stack_off_by_one",
            "a loop storing fp-8 down to fp-520",
            prog(
                "mov %r7, 8\nloop:\nmov %r1, %r10\nsub %r1, %r7\nstdw [%r1+0], 0\nadd %r7, 8\n\
                 jle %r7, 520, loop\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "loop_bound_from_data",
            "a loop over a value as long as the context says",
            prog(&format!(
                "ldxdw %r8, [%r6+24]\n{}mov %r7, 0\nloop:\nmov %r1, %r0\nadd %r1, %r7\n\
                 stb [%r1+0], 0x41\nadd %r7, 1\njlt %r7, %r8, loop\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "loop_walks_pointer_past_end",
            "a pointer stepped 17 times over a 16-byte value",
            prog(&format!(
                "{}mov %r1, %r0\nmov %r7, 0\nloop:\nstb [%r1+0], 0x41\nadd %r1, 1\nadd %r7, 1\n\
                 jlt %r7, 17, loop\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "branch_on_data_stores_past_end",
            "a store at +16 of a value on the path the context chooses",
            prog(&format!(
                "{trigger}{}jne %r8, 1, skip\nstb [%r0+16], 0x41\nskip:\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "branch_on_data_stack_plus_unknown",
            "r10 + an unbounded number stored through on one path",
            prog(&format!(
                "{trigger}ldxdw %r7, [%r6+40]\njne %r8, 1, skip\nmov %r1, %r10\nadd %r1, %r7\n\
                 stb [%r1+0], 0x41\nskip:\nmov %r0, 0\nexit\n"
            )),
        ),
        reject(
            "branch_number_over_spilled_pointer",
            "one path stores a number over a spilled pointer, then both store through it",
            prog(&format!(
                "{trigger}{}stxdw [%r10-8], %r0\njne %r8, 1, skip\nldxdw %r9, [%r6+16]\n\
                 stxdw [%r10-8], %r9\nskip:\n{USE}",
                look()
            )),
        ),
        reject(
            "branch_context_or_map_value",
            "a pointer that is the context on one path, a 16-byte value on the other, +16",
            prog(&format!(
                "{trigger}{}mov %r1, %r0\njeq %r8, 1, skip\nmov %r1, %r6\nskip:\n\
                 stdw [%r1+16], 0x41\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "branch_spills_stack_or_map_pointer",
            "fp-16 or a value spilled on a branch, reloaded, stored at +16",
            prog(&format!(
                "{trigger}{}mov %r1, %r0\njne %r8, 1, skip\nmov %r1, %r10\nadd %r1, -16\nskip:\n\
                 stxdw [%r10-8], %r1\nldxdw %r2, [%r10-8]\nstdw [%r2+16], 0x41\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "loop_calls_callee_past_end",
            "a loop calls a callee that stores at value + 8 * i, i up to 2",
            prog_fn(
                &format!(
                    "{}mov %r9, %r0\nmov %r7, 0\nloop:\nmov %r1, %r9\nmov %r2, %r7\n\
                     call local f\nadd %r7, 1\njlt %r7, 3, loop\nmov %r0, 0\nexit\n",
                    look()
                ),
                "f:\nlsh %r2, 3\nadd %r1, %r2\nstdw [%r1+0], 0x41\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "callee_writes_caller_spilled_offset",
            "a callee changes the caller's spilled offset -8 to -600 through a pointer",
            prog_fn(
                "stdw [%r10-8], -8\nmov %r1, %r10\nadd %r1, -8\ncall local f\n\
                 ldxdw %r3, [%r10-8]\nmov %r4, %r10\nadd %r4, %r3\nstdw [%r4+0], 0x41\n\
                 mov %r0, 0\nexit\n",
                "f:\nstdw [%r1+0], -600\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "callee_variable_store_over_caller_spill",
            "a callee stores a number at a variable offset of the caller's frame, over its spill",
            prog_fn(
                &format!(
                    "ldxdw %r8, [%r6+56]\nand %r8, 8\nldxdw %r9, [%r6+16]\n{}\
                     stxdw [%r10-8], %r0\nmov %r1, %r10\nadd %r1, -16\nmov %r2, %r8\n\
                     mov %r3, %r9\ncall local f\n{USE}",
                    look()
                ),
                "f:\nadd %r1, %r2\nstxdw [%r1+0], %r3\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "loop_second_pass_overwrites_spill",
            "a loop's second iteration stores a number over a spilled pointer",
            prog(&format!(
                "ldxdw %r9, [%r6+16]\n{}stxdw [%r10-8], %r0\nmov %r7, 0\nloop:\nmov %r1, %r10\n\
                 mov %r2, %r7\nlsh %r2, 3\nadd %r1, %r2\nstxdw [%r1-16], %r9\nadd %r7, 1\n\
                 jlt %r7, 2, loop\n{USE}",
                look()
            )),
        ),
        reject(
            "callee_frame_pointer_kept_by_caller",
            "a callee stores its r10 into the caller's frame; the caller uses it after return",
            prog_fn(
                "mov %r1, %r10\nadd %r1, -8\ncall local f\nldxdw %r1, [%r10-8]\n\
                 stdw [%r1-8], 0x41\nmov %r0, 0\nexit\n",
                "f:\nstxdw [%r1+0], %r10\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "callee_reads_unwritten_caller_stack",
            "a callee loads the caller's fp-16, never written",
            prog_fn(
                "mov %r1, %r10\nadd %r1, -16\ncall local f\nexit\n",
                "f:\nldxdw %r0, [%r1+0]\nexit\n",
            ),
        ),
    ]
}
