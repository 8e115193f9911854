//! Must-reject programs, category 4: address leaks.

use crate::asm::{look, prog, prog_fn, reserve};
use crate::harness::{Case, reject};
use crate::host_helpers::{IDENT, IDENT_ANY};
use crate::maps::{array, queue, ring};

pub(crate) fn address_leaks() -> Vec<Case> {
    let ret = |body: &str| prog(&format!("{body}exit\n"));
    let narrow = |load: &str| prog(&format!("stxdw [%r10-8], %r10\n{load}\nexit\n"));
    let in_value = |body: &str| prog(&format!("{}{body}mov %r0, 0\nexit\n", look()));
    vec![
        reject("return_stack_pointer", "r0 = r10", ret("mov %r0, %r10\n")),
        reject(
            "return_context_pointer",
            "r0 = the context pointer",
            ret("mov %r0, %r6\n"),
        ),
        reject(
            "return_map_value_pointer",
            "r0 = a map value pointer",
            ret(&look()),
        ),
        reject(
            "return_unchecked_map_value_pointer",
            "r0 = map_lookup_elem's result, unchecked",
            ret("stw [%r10-64], 0\nmov %r2, %r10\nadd %r2, -64\nlddw %r1, map_idx 0\ncall 1\n"),
        ),
        reject(
            "return_low_half_via_mov32",
            "r0 = low half of r10",
            ret("mov32 %r0, %r10\n"),
        )
        .quiet(),
        reject(
            "return_pointers_xored",
            "r0 = r10 ^ ctx",
            ret("mov %r0, %r10\nxor %r0, %r6\n"),
        )
        .quiet(),
        reject(
            "return_pointer_times_one",
            "r0 = r10 * 1",
            ret("mov %r0, %r10\nmul %r0, 1\n"),
        ),
        reject(
            "return_pointer_and_all_ones",
            "r0 = ctx & -1",
            ret("mov %r0, %r6\nand %r0, -1\n"),
        ),
        reject(
            "return_add32_of_context",
            "r0 = ctx with a 32-bit add",
            ret("mov %r0, %r6\nadd32 %r0, 0\n"),
        )
        .quiet(),
        reject(
            "return_pointer_shifted_back",
            "r0 = (r10 << 1) >> 1",
            ret("mov %r0, %r10\nlsh %r0, 1\nrsh %r0, 1\n"),
        ),
        reject(
            "return_pointer_negated_twice",
            "r0 = -(-ctx)",
            ret("mov %r0, %r6\nneg %r0\nneg %r0\n"),
        ),
        reject(
            "return_pointer_difference",
            "r0 = r10 - ctx",
            ret("mov %r0, %r10\nsub %r0, %r6\n"),
        )
        .quiet(),
        reject(
            "return_pointer_byte_swapped_twice",
            "r0 = be64(be64(r10))",
            ret("mov %r0, %r10\nbe64 %r0\nbe64 %r0\n"),
        ),
        reject(
            "return_pointer_modulo",
            "r0 = r10 % 4096",
            ret("mov %r0, %r10\nmod %r0, 4096\n"),
        )
        .quiet(),
        reject(
            "store_stack_pointer_into_map_value",
            "stxdw of r10 into a map value",
            in_value("stxdw [%r0+0], %r10\n"),
        ),
        reject(
            "store_context_pointer_into_map_value",
            "stxdw of the context pointer into a map value",
            in_value("stxdw [%r0+8], %r6\n"),
        ),
        reject(
            "store_map_value_pointer_into_context",
            "stxdw of a map value pointer into the context",
            in_value("stxdw [%r6+24], %r0\n"),
        ),
        reject(
            "store_stack_pointer_into_context",
            "stxdw of r10 into the context",
            prog("stxdw [%r6+24], %r10\nmov %r0, 0\nexit\n"),
        ),
        reject(
            "store_low_half_of_pointer_into_context",
            "stxw of r10 into the context",
            prog("stxw [%r6+24], %r10\nmov %r0, 0\nexit\n"),
        )
        .quiet(),
        reject(
            "xchg_stack_pointer_into_map_value",
            "atomic xchg puts r10 into a map value",
            in_value("mov %r7, %r10\nlock xchg [%r0+0], %r7\n"),
        ),
        reject(
            "cmpxchg_stack_pointer_into_map_value",
            "atomic cmpxchg puts r10 into a map value",
            in_value("mov %r9, %r0\nmov %r0, 0\nmov %r7, %r10\nlock cmpxchg [%r9+0], %r7\n"),
        ),
        reject(
            "atomic_add_pointer_into_map_value",
            "atomic add of the context pointer to a zeroed map value",
            in_value("mov %r7, %r6\nlock add [%r0+8], %r7\n"),
        ),
        reject(
            "update_map_with_stack_address",
            "map_update_elem whose value bytes hold r10",
            prog(
                "stxdw [%r10-16], %r10\nstdw [%r10-8], 0\nstw [%r10-64], 0\n\
                 lddw %r1, map_idx 0\nmov %r2, %r10\nadd %r2, -64\nmov %r3, %r10\n\
                 add %r3, -16\nmov %r4, 0\ncall 2\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "pointer_to_scalar_helper",
            "r10 passed to a helper argument declared Scalar, which returns it",
            ret(&format!("mov %r1, %r10\ncall {IDENT}\n")),
        ),
        reject(
            "pointer_to_any_helper",
            "the context pointer passed to a helper argument declared Any, which returns it",
            ret(&format!("mov %r1, %r6\ncall {IDENT_ANY}\n")),
        ),
        reject(
            "narrow_load_of_spilled_pointer_w",
            "ldxw of a spilled r10",
            narrow("ldxw %r0, [%r10-8]"),
        )
        .quiet(),
        reject(
            "narrow_load_of_spilled_pointer_b",
            "ldxb of byte 5 of a spilled r10",
            narrow("ldxb %r0, [%r10-3]"),
        )
        .quiet(),
        reject(
            "narrow_load_of_spilled_pointer_h",
            "ldxh of bytes 2..4 of a spilled r10",
            narrow("ldxh %r0, [%r10-6]"),
        )
        .quiet(),
        reject(
            "signed_narrow_load_of_spilled_pointer",
            "ldxsw of the high half of a spilled r10",
            narrow("ldxsw %r0, [%r10-4]"),
        )
        .quiet(),
        reject(
            "spill_round_trip_returned",
            "the context pointer spilled, reloaded and returned",
            ret("stxdw [%r10-8], %r6\nldxdw %r0, [%r10-8]\n"),
        ),
        reject(
            "pointers_compared",
            "r0 = whether r10 > ctx",
            ret("mov %r0, 0\njgt %r10, %r6, +1\nmov %r0, 1\n"),
        )
        .quiet(),
        reject(
            "pointer_bit_tested",
            "r0 = bit 8 of the context address",
            ret("mov %r0, 0\njset %r6, 0x100, +1\nmov %r0, 1\n"),
        )
        .quiet(),
        reject(
            "ring_record_holds_stack_pointer",
            "r10 stored into a ring record, which is submitted",
            prog(&format!(
                "{}stxdw [%r0+0], %r10\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n",
                reserve(1, 8)
            )),
        )
        .maps(&[array(), ring()]),
        reject(
            "callee_returns_its_stack_pointer_to_host",
            "a callee's r10 returned by the callee and then by the program",
            prog_fn("call local f\nexit\n", "f:\nmov %r0, %r10\nexit\n"),
        ),
        reject(
            "sign_extended_low_half",
            "r0 = movsx32 of r10",
            ret("movsx3264 %r0, %r10\n"),
        )
        .quiet(),
        reject(
            "pointer_as_update_flags",
            "r10 passed as map_update_elem's flags (a Scalar)",
            ret(
                "stdw [%r10-16], 0\nstdw [%r10-8], 0\nstw [%r10-64], 0\nlddw %r1, map_idx 0\n\
                 mov %r2, %r10\nadd %r2, -64\nmov %r3, %r10\nadd %r3, -16\nmov %r4, %r10\n\
                 call 2\n",
            ),
        )
        .quiet(),
        reject(
            "push_context_pointer_into_queue",
            "map_push_elem of a stack slot holding the context pointer",
            prog(
                "stxdw [%r10-8], %r6\nlddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\n\
                 mov %r3, 0\ncall 87\nmov %r0, 0\nexit\n",
            ),
        )
        .maps(&[array(), queue(8)]),
        reject(
            "probe_read_from_unwritten_stack",
            "probe_read copies stack bytes never written (another run's) and returns them",
            prog(
                "mov %r1, %r10\nadd %r1, -16\nmov %r2, 8\nmov %r3, %r10\nadd %r3, -32\ncall 4\n\
                 ldxdw %r0, [%r10-16]\nexit\n",
            ),
        ),
        reject(
            "update_from_unwritten_stack",
            "map_update_elem of a value from stack bytes never written",
            prog(
                "stw [%r10-64], 0\nlddw %r1, map_idx 0\nmov %r2, %r10\nadd %r2, -64\n\
                 mov %r3, %r10\nadd %r3, -32\nmov %r4, 0\ncall 2\nmov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "ringbuf_output_of_unwritten_stack",
            "ringbuf_output of 16 stack bytes never written",
            prog(
                "lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -32\nmov %r3, 16\nmov %r4, 0\n\
                 call 130\nmov %r0, 0\nexit\n",
            ),
        )
        .maps(&[array(), ring()]),
        reject(
            "variable_read_of_unwritten_stack",
            "ldxdw at fp-32 + (x & 8), never written",
            prog(
                "ldxdw %r8, [%r6+56]\nand %r8, 8\nmov %r1, %r10\nadd %r1, -32\nadd %r1, %r8\n\
                 ldxdw %r0, [%r1+0]\nexit\n",
            ),
        ),
    ]
}
