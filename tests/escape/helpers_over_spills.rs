//! Must-reject programs, category 2: helpers with prototypes that write over a spilled pointer.

use crate::asm::{AT_FP8, STB_R1, USE, prog, prog_fn, spill_value};
use crate::harness::{Case, accept, reject};
use crate::host_helpers::{AIM, COPY};
use crate::maps::{array, lifo, queue};

pub(crate) fn helpers_writing_over_spills() -> Vec<Case> {
    let sv = spill_value();
    // probe_read_str copies up to a NUL: its source is the bytes 1..=8 at ctx+88, not an
    // address (which may hold a 0 byte).
    let probe_over = |id: u32| {
        let src = if matches!(id, 45 | 114 | 115) { 88 } else { 16 };
        prog(&format!(
            "{sv}{AT_FP8}mov %r2, 8\nmov %r3, %r6\nadd %r3, {src}\ncall {id}\n{USE}"
        ))
    };
    let pop_over = |id: u32| {
        prog(&format!(
            "{sv}lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\ncall {id}\n{USE}"
        ))
    };
    let aim_at = |off: i32, len: &str| {
        format!("mov %r1, %r10\nadd %r1, {off}\nmov %r2, {len}\ncall {AIM}\n")
    };
    vec![
        reject(
            "probe_read_over_spilled_map_value",
            "probe_read copies an address over a spilled map value pointer",
            probe_over(4),
        ),
        reject(
            "probe_read_over_spill_leaks_allowed",
            "the same with pointer leaks allowed: the slot must become a number",
            probe_over(4),
        )
        .leaks(),
        reject(
            "probe_read_kernel_over_spilled_map_value",
            "probe_read_kernel copies an address over a spilled map value pointer",
            probe_over(113),
        ),
        reject(
            "probe_read_user_over_spill_leaks_allowed",
            "probe_read_user over a spilled pointer, pointer leaks allowed",
            probe_over(112),
        )
        .leaks(),
        reject(
            "probe_read_str_over_spilled_map_value",
            "probe_read_str copies an address over a spilled map value pointer",
            probe_over(45),
        ),
        reject(
            "probe_read_kernel_str_over_spill_leaks_allowed",
            "probe_read_kernel_str over a spilled pointer, pointer leaks allowed",
            probe_over(115),
        )
        .leaks(),
        reject(
            "comm_over_spilled_map_value",
            "get_current_comm fills fp-16..0, over a spilled pointer at fp-8",
            prog(&format!(
                "{sv}mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\n{USE}"
            )),
        ),
        reject(
            "pop_over_spilled_map_value",
            "map_pop_elem writes a queue value (an address) over a spilled pointer",
            pop_over(88),
        )
        .maps(&[array(), queue(8)]),
        reject(
            "peek_over_spilled_map_value",
            "map_peek_elem writes a stack map value over a spilled pointer",
            pop_over(89),
        )
        .maps(&[array(), lifo(8)]),
        reject(
            "pop_over_spill_leaks_allowed",
            "map_pop_elem over a spilled pointer, pointer leaks allowed",
            pop_over(88),
        )
        .maps(&[array(), queue(8)])
        .leaks(),
        reject(
            "memout_helper_over_spilled_map_value",
            "a host helper declared MemOut, Size writes over a spilled map value pointer",
            prog(&format!("{sv}{}{USE}", aim_at(-8, "8"))),
        ),
        reject(
            "memout_helper_over_spilled_stack_pointer",
            "a MemOut helper writes over a spilled stack pointer",
            prog(&format!(
                "mov %r3, %r10\nadd %r3, -16\nstxdw [%r10-8], %r3\n{}{USE}",
                aim_at(-8, "8")
            )),
        ),
        reject(
            "memout_helper_over_spilled_context",
            "a MemOut helper writes over a spilled context pointer",
            prog(&format!(
                "stxdw [%r10-8], %r6\n{}ldxdw %r1, [%r10-8]\n{STB_R1}",
                aim_at(-8, "8")
            )),
        ),
        reject(
            "memout_helper_variable_size_reaches_spill",
            "a MemOut helper of size 0..=15 at fp-16 reaches the spill at fp-8",
            prog(&format!(
                "ldxdw %r8, [%r6+56]\nand %r8, 15\n{sv}{}{USE}",
                aim_at(-16, "%r8")
            )),
        ),
        reject(
            "memout_helper_straddles_into_spill",
            "a MemOut helper at fp-12 of 8 bytes rewrites half a spilled pointer",
            prog(&format!("{sv}{}{USE}", aim_at(-12, "8"))),
        ),
        reject(
            "probe_read_over_spilled_offset",
            "probe_read rewrites a spilled offset -8 to -600, then r10 + offset",
            prog(
                "stdw [%r10-8], -8\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, %r6\n\
                 add %r3, 40\ncall 4\nldxdw %r3, [%r10-8]\nmov %r4, %r10\nadd %r4, %r3\n\
                 stdw [%r4+0], 0x41\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "callee_probe_reads_into_caller_spill",
            "a callee probe_reads an address over its caller's spilled pointer",
            prog_fn(
                &format!("{sv}ldxdw %r2, [%r6+16]\n{AT_FP8}call local f\n{USE}"),
                "f:\nstxdw [%r10-8], %r2\nmov %r3, %r10\nadd %r3, -8\nmov %r2, 8\ncall 4\nexit\n",
            ),
        ),
        reject(
            "memout_in_loop_reaches_spill",
            "a MemOut helper called twice in a loop, the second time over the spill",
            prog(&format!(
                "{sv}mov %r8, 0\nloop:\nmov %r1, %r10\nmov %r2, %r8\nlsh %r2, 3\nadd %r1, %r2\n\
                 add %r1, -16\nmov %r2, 8\ncall {AIM}\nadd %r8, 1\njlt %r8, 2, loop\n{USE}"
            )),
        ),
        reject(
            "memout_behind_branch_over_spill",
            "a MemOut helper over the spill on one path only",
            prog(&format!(
                "ldxdw %r8, [%r6+32]\n{sv}jne %r8, 1, skip\n{}skip:\n{USE}",
                aim_at(-8, "8")
            )),
        ),
        reject(
            "probe_read_number_source_over_spill",
            "probe_read from a numeric address (map canary bytes) over a spilled pointer",
            prog(&format!(
                "{sv}{AT_FP8}mov %r2, 8\nldxdw %r3, [%r6+16]\ncall 4\n{USE}"
            )),
        ),
        reject(
            "copy_helper_over_spilled_map_value",
            "a host copy(MemOut, Size, Mem, Size) over a spilled pointer",
            prog(&format!(
                "{sv}{AT_FP8}mov %r2, 8\nmov %r3, %r6\nadd %r3, 16\nmov %r4, 8\ncall {COPY}\n{USE}"
            )),
        ),
        reject(
            "memout_helper_over_spill_leaks_allowed",
            "a MemOut helper over a spilled map value pointer, pointer leaks allowed",
            prog(&format!("{sv}{}{USE}", aim_at(-8, "8"))),
        )
        .leaks(),
        reject(
            "memout_helper_variable_size_leaks_allowed",
            "a MemOut helper of size 0..=15 at fp-16 reaches the spill, pointer leaks allowed",
            prog(&format!(
                "ldxdw %r8, [%r6+56]\nand %r8, 15\n{sv}{}{USE}",
                aim_at(-16, "%r8")
            )),
        )
        .leaks(),
        reject(
            "memout_helper_straddles_leaks_allowed",
            "a MemOut helper rewrites half a spilled pointer, pointer leaks allowed",
            prog(&format!("{sv}{}{USE}", aim_at(-12, "8"))),
        )
        .leaks(),
        reject(
            "memout_in_loop_leaks_allowed",
            "a MemOut helper reaches the spill on a loop's second pass, pointer leaks allowed",
            prog(&format!(
                "{sv}mov %r8, 0\nloop:\nmov %r1, %r10\nmov %r2, %r8\nlsh %r2, 3\nadd %r1, %r2\n\
                 add %r1, -16\nmov %r2, 8\ncall {AIM}\nadd %r8, 1\njlt %r8, 2, loop\n{USE}"
            )),
        )
        .leaks(),
        reject(
            "memout_behind_branch_leaks_allowed",
            "a MemOut helper over the spill on one path, pointer leaks allowed",
            prog(&format!(
                "ldxdw %r8, [%r6+32]\n{sv}jne %r8, 1, skip\n{}skip:\n{USE}",
                aim_at(-8, "8")
            )),
        )
        .leaks(),
        reject(
            "callee_probe_reads_into_caller_spill_leaks_allowed",
            "a callee probe_reads an address over its caller's spill, pointer leaks allowed",
            prog_fn(
                &format!("{sv}ldxdw %r2, [%r6+16]\n{AT_FP8}call local f\n{USE}"),
                "f:\nstxdw [%r10-8], %r2\nmov %r3, %r10\nadd %r3, -8\nmov %r2, 8\ncall 4\nexit\n",
            ),
        )
        .leaks(),
        reject(
            "comm_over_spill_leaks_allowed",
            "get_current_comm over a spilled pointer, pointer leaks allowed",
            prog(&format!(
                "{sv}mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\n{USE}"
            )),
        )
        .leaks(),
        reject(
            "copy_helper_over_spill_leaks_allowed",
            "a host copy helper over a spilled pointer, pointer leaks allowed",
            prog(&format!(
                "{sv}{AT_FP8}mov %r2, 8\nmov %r3, %r6\nadd %r3, 16\nmov %r4, 8\ncall {COPY}\n{USE}"
            )),
        )
        .leaks(),
        reject(
            "narrow_store_over_spilled_pointer",
            "stxw of an address's low half over a spilled map value pointer",
            prog(&format!(
                "{sv}ldxw %r3, [%r6+16]\nstxw [%r10-8], %r3\n{USE}"
            )),
        ),
        reject(
            "narrow_store_over_spill_leaks_allowed",
            "the same with pointer leaks allowed",
            prog(&format!(
                "{sv}ldxw %r3, [%r6+16]\nstxw [%r10-8], %r3\n{USE}"
            )),
        )
        .leaks(),
        reject(
            "variable_store_over_spill",
            "a number stored at fp-16 + (x & 8), over a spilled pointer at fp-8",
            prog(&format!(
                "ldxdw %r8, [%r6+56]\nand %r8, 8\nldxdw %r9, [%r6+16]\n{sv}mov %r1, %r10\n\
                 add %r1, -16\nadd %r1, %r8\nstxdw [%r1+0], %r9\n{USE}"
            )),
        ),
        reject(
            "variable_store_over_spill_leaks_allowed",
            "the same with pointer leaks allowed",
            prog(&format!(
                "ldxdw %r8, [%r6+56]\nand %r8, 8\nldxdw %r9, [%r6+16]\n{sv}mov %r1, %r10\n\
                 add %r1, -16\nadd %r1, %r8\nstxdw [%r1+0], %r9\n{USE}"
            )),
        )
        .leaks(),
        reject(
            "byte_store_rewrites_spilled_offset",
            "stb rewrites one byte of a spilled offset -8 (making it -520), then r10 + offset",
            prog(
                "stdw [%r10-16], -8\nstb [%r10-15], 0xfd\nldxdw %r3, [%r10-16]\nmov %r4, %r10\n\
                 add %r4, %r3\nstdw [%r4+0], 0x41\nmov %r0, 0\nexit\n",
            ),
        ),
        accept(
            "probe_read_str_zeroes_the_rest",
            "probe_read_str into 16 stack bytes copies 2 and zeroes the other 14, which are read",
            prog(
                "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\nmov %r3, %r6\nadd %r3, 32\ncall 45\n\
                 ldxdw %r0, [%r10-8]\nexit\n",
            ),
        ),
        accept(
            "probe_read_kernel_str_zeroes_the_rest",
            "probe_read_kernel_str into 16 stack bytes copies 2 and zeroes the rest, which is read",
            prog(
                "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\nmov %r3, %r6\nadd %r3, 32\ncall 115\n\
                 ldxdw %r0, [%r10-8]\nexit\n",
            ),
        ),
        accept(
            "pop_from_empty_queue_zeroes_its_buffer",
            "a third map_pop_elem of a two-value queue zeroes its buffer, which is read",
            prog(
                "lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\ncall 88\n\
                 lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -16\ncall 88\n\
                 lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -24\ncall 88\n\
                 ldxdw %r0, [%r10-24]\nexit\n",
            ),
        )
        .maps(&[array(), queue(8)]),
        accept(
            "peek_empty_queue_zeroes_its_buffer",
            "map_peek_elem of an emptied queue zeroes its buffer, which is read",
            prog(
                "lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\ncall 88\n\
                 lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -16\ncall 88\n\
                 lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -24\ncall 89\n\
                 ldxdw %r0, [%r10-24]\nexit\n",
            ),
        )
        .maps(&[array(), queue(8)]),
    ]
}
