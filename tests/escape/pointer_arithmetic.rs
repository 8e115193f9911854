//! Must-reject programs, category 7: context and pointer arithmetic.

use crate::asm::{STB_R0, STB_R1, look, prog, reserve};
use crate::harness::{Case, reject};
use crate::maps::{array, hash, ring};

pub(crate) fn pointer_arithmetic() -> Vec<Case> {
    let value_plus = |index: &str, access: &str| {
        prog(&format!(
            "{index}{}add %r0, %r7\n{access}mov %r0, 0\nexit\n",
            look()
        ))
    };
    let stb0 = "stb [%r0+0], 0x41\n";
    let in_value = |body: &str| prog(&format!("{}{body}", look()));
    let hash_lookup =
        "stw [%r10-64], 5\nmov %r2, %r10\nadd %r2, -64\nlddw %r1, map_idx 0\ncall 1\n";
    vec![
        reject(
            "context_plus_unknown_store",
            "ctx + an unbounded 64-bit number, stored through",
            prog(&format!(
                "ldxdw %r7, [%r6+24]\nmov %r1, %r6\nadd %r1, %r7\n{STB_R1}"
            )),
        ),
        reject(
            "context_plus_unknown_load",
            "ctx + an unbounded 64-bit number, loaded",
            prog("ldxdw %r7, [%r6+24]\nmov %r1, %r6\nadd %r1, %r7\nldxdw %r0, [%r1+0]\nexit\n"),
        ),
        reject(
            "context_minus_8_load",
            "ldxdw at ctx-8",
            prog("ldxdw %r0, [%r6-8]\nexit\n"),
        ),
        reject(
            "context_minus_32_store",
            "ctx - 32, stored through",
            prog("mov %r1, %r6\nadd %r1, -32\nstdw [%r1+0], 0x41\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "fixed_context_load_at_end",
            "ldxdw just past a fixed 96-byte context",
            prog("ldxdw %r0, [%r6+96]\nexit\n"),
        )
        .fixed_ctx(),
        reject(
            "fixed_context_load_straddles_end",
            "ldxdw at +89 of a fixed 96-byte context",
            prog("ldxdw %r0, [%r6+89]\nexit\n"),
        )
        .fixed_ctx(),
        reject(
            "fixed_context_store_one_past",
            "stb just past a fixed 96-byte context",
            prog("stb [%r6+96], 0x41\nmov %r0, 0\nexit\n"),
        )
        .fixed_ctx(),
        reject(
            "fixed_context_masked_offset",
            "a fixed context + (x & 127), stored through",
            prog(&format!(
                "ldxdw %r7, [%r6+24]\nand %r7, 127\nmov %r1, %r6\nadd %r1, %r7\n{STB_R1}"
            )),
        )
        .fixed_ctx(),
        reject(
            "map_value_plus_unknown",
            "a map value + an unbounded number",
            value_plus("ldxdw %r7, [%r6+24]\n", stb0),
        ),
        reject(
            "map_value_plus_byte_index",
            "a 16-byte value + (x & 255)",
            value_plus("ldxdw %r7, [%r6+24]\nand %r7, 255\n", stb0),
        ),
        reject(
            "map_value_plus_masked_index_dw",
            "a 16-byte value + (x & 15), 8 bytes stored",
            value_plus("ldxdw %r7, [%r6+56]\nand %r7, 15\n", "stdw [%r0+0], 0x41\n"),
        ),
        reject(
            "map_value_store_at_end",
            "stb at +16 of a 16-byte value",
            in_value("stb [%r0+16], 0x41\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "map_value_store_before_start",
            "stb at -1 of a value",
            in_value("stb [%r0-1], 0x41\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "map_value_load_straddles_end",
            "ldxdw at +12 of a 16-byte value",
            in_value("ldxdw %r0, [%r0+12]\nexit\n"),
        ),
        reject(
            "map_value_bound_off_by_one",
            "an index checked <= 16 for a 16-byte value",
            value_plus("ldxdw %r7, [%r6+64]\njgt %r7, 16, out\n", stb0),
        ),
        reject(
            "map_value_signed_bound",
            "an index checked only by a signed upper bound",
            value_plus("ldxdw %r7, [%r6+40]\njsgt %r7, 8, out\n", stb0),
        ),
        reject(
            "stack_plus_unknown",
            "r10 + an unbounded number, stored through",
            prog(
                "ldxdw %r7, [%r6+40]\nmov %r1, %r10\nadd %r1, %r7\nstdw [%r1+0], 0x41\n\
                 mov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "stack_store_at_frame_top",
            "stdw at r10+0",
            prog("stdw [%r10+0], 0x41\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "stack_load_below_frame",
            "ldxdw at r10-520",
            prog("ldxdw %r0, [%r10-520]\nexit\n"),
        ),
        reject(
            "stack_store_below_frame",
            "stb at r10-513",
            prog("stb [%r10-513], 0x41\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "stack_masked_index_past_top",
            "r10 - 16 + (x & 31), stored through",
            prog(&format!(
                "ldxdw %r7, [%r6+64]\nand %r7, 31\nmov %r1, %r10\nadd %r1, -16\nadd %r1, %r7\n\
                 {STB_R1}"
            )),
        ),
        reject(
            "map_handle_plus_8_to_lookup",
            "map_lookup_elem given a map handle + 8",
            prog(
                "lddw %r1, map_idx 0\nadd %r1, 8\nstw [%r10-64], 0\nmov %r2, %r10\nadd %r2, -64\n\
                 call 1\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "map_handle_dereferenced",
            "ldxdw through a map handle",
            prog("lddw %r1, map_idx 0\nldxdw %r0, [%r1+0]\nexit\n"),
        ),
        reject(
            "context_truncated_by_add32",
            "ldxb through ctx after a 32-bit add",
            prog("mov %r1, %r6\nadd32 %r1, 0\nldxb %r0, [%r1+0]\nexit\n"),
        ),
        reject(
            "pointer_plus_pointer",
            "ldxb through ctx + r10",
            prog("mov %r1, %r6\nadd %r1, %r10\nldxb %r0, [%r1+0]\nexit\n"),
        ),
        reject(
            "record_store_at_end",
            "stdw at +8 of an 8-byte ring record",
            prog(&format!(
                "{}stdw [%r0+8], 0x41\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n",
                reserve(1, 8)
            )),
        )
        .maps(&[array(), ring()]),
        reject(
            "record_used_after_submit",
            "a store through a ring record after its submit",
            prog(&format!(
                "{}mov %r7, %r0\nmov %r1, %r0\nmov %r2, 0\ncall 132\nstdw [%r7+0], 0x41\n\
                 mov %r0, 0\nexit\n",
                reserve(1, 8)
            )),
        )
        .maps(&[array(), ring()]),
        reject(
            "map_value_maybe_null",
            "a store through map_lookup_elem's result without a null check",
            prog(&format!("{hash_lookup}{STB_R0}")),
        )
        .maps(&[hash()]),
        reject(
            "null_check_inverted",
            "a store through map_lookup_elem's result on its null path",
            prog(&format!("{hash_lookup}jne %r0, 0, out\n{STB_R0}")),
        )
        .maps(&[hash()]),
        reject(
            "wide_index_checked_in_32_bits",
            "an index bounded by a 32-bit compare, used as 64 bits",
            value_plus("ldxdw %r7, [%r6+72]\njgt32 %r7, 8, out\n", stb0),
        ),
        reject(
            "shifted_index_past_end",
            "(x & 15) << 1 as an index into 16 bytes",
            value_plus("ldxdw %r7, [%r6+56]\nand %r7, 15\nlsh %r7, 1\n", stb0),
        ),
        reject(
            "modulo_index_off_by_one",
            "x % 17 as an index into 16 bytes",
            value_plus("ldxdw %r7, [%r6+64]\nmod %r7, 17\n", stb0),
        ),
        reject(
            "and32_index_plus_8",
            "(x & 15) + 8 as an index into 16 bytes",
            value_plus("ldxdw %r7, [%r6+56]\nand32 %r7, 15\nadd %r7, 8\n", stb0),
        ),
        reject(
            "direct_value_address_past_end",
            "stb at +16 of an array's direct value address",
            prog("lddw %r1, map_idx_value 0\nstb [%r1+16], 0x41\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "sub32_wraps_index",
            "(x & 15) - 16 in 32 bits, zero-extended, as an index",
            value_plus("ldxdw %r7, [%r6+56]\nand32 %r7, 15\nsub32 %r7, 16\n", stb0),
        ),
        reject(
            "negated_index_off_by_one",
            "16 - (x & 15) as an index into 16 bytes",
            value_plus(
                "ldxdw %r7, [%r6+80]\nand %r7, 15\nneg %r7\nadd %r7, 16\n",
                stb0,
            ),
        ),
        reject(
            "arsh_sign_extends_index",
            "a byte shifted up and arithmetically down: a negative index",
            value_plus("ldxb %r7, [%r6+40]\nlsh %r7, 56\narsh %r7, 56\n", stb0),
        ),
        reject(
            "mod_by_maybe_zero_keeps_index",
            "x % (y & 15), where y & 15 = 0 leaves x whole",
            value_plus(
                "ldxdw %r7, [%r6+24]\nldxdw %r8, [%r6+80]\nand %r8, 15\nmod %r7, %r8\n",
                stb0,
            ),
        ),
        reject(
            "mod32_by_maybe_zero_keeps_index",
            "x % (y & 15) in 32 bits, where y & 15 = 0 leaves x",
            value_plus(
                "ldxdw %r7, [%r6+24]\nldxdw %r8, [%r6+80]\nand %r8, 15\nmod32 %r7, %r8\n",
                stb0,
            ),
        ),
        reject(
            "null_check_of_other_lookup",
            "the result of one lookup used after checking another's",
            prog(&format!(
                "{hash_lookup}mov %r7, %r0\n{}stb [%r7+0], 0x41\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .maps(&[hash()]),
    ]
}
