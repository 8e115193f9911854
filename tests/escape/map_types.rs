//! Must-reject programs, category 5: map type confusion.

use crate::asm::{STB_R0, look, prog, reserve};
use crate::harness::{Case, reject};
use crate::maps::{array, hash, lifo, prog_array, queue, ring};

pub(crate) fn map_type_confusion() -> Vec<Case> {
    let tail = prog("mov %r1, %r6\nlddw %r2, map_idx 0\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit\n");
    let lookup_store = prog(&format!("{}{STB_R0}", look()));
    let update = |id: u32| {
        prog(&format!(
            "stdw [%r10-16], 0\nstdw [%r10-8], 0\nstw [%r10-64], 0\nlddw %r1, map_idx 0\n\
             mov %r2, %r10\nadd %r2, -64\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall {id}\n\
             mov %r0, 0\nexit\n"
        ))
    };
    let queue_op = |id: u32| {
        prog(&format!(
            "stdw [%r10-16], 7\nstdw [%r10-8], 7\nlddw %r1, map_idx 0\nmov %r2, %r10\n\
             add %r2, -16\nmov %r3, 0\ncall {id}\nldxdw %r0, [%r10-16]\nexit\n"
        ))
    };
    let reserve_store = prog(&format!(
        "{}stdw [%r0+0], 1\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n",
        reserve(0, 8)
    ));
    vec![
        reject(
            "tail_call_with_array",
            "bpf_tail_call given an array map",
            tail.clone(),
        )
        .quiet(),
        reject(
            "tail_call_with_hash",
            "bpf_tail_call given a hash map",
            tail.clone(),
        )
        .maps(&[hash()])
        .quiet(),
        reject(
            "tail_call_with_ring",
            "bpf_tail_call given a ring buffer",
            tail,
        )
        .maps(&[ring()])
        .quiet(),
        reject(
            "tail_call_with_stack_pointer_as_context",
            "bpf_tail_call given r10 for the context",
            prog("mov %r1, %r10\nlddw %r2, map_idx 0\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit\n"),
        )
        .maps(&[prog_array()])
        .quiet(),
        reject(
            "lookup_on_ring",
            "map_lookup_elem on a ring buffer",
            lookup_store.clone(),
        )
        .maps(&[ring()])
        .quiet(),
        reject(
            "lookup_on_queue",
            "map_lookup_elem on a queue",
            lookup_store.clone(),
        )
        .maps(&[queue(8)])
        .quiet(),
        reject(
            "lookup_on_stack_map",
            "map_lookup_elem on a stack map",
            lookup_store.clone(),
        )
        .maps(&[lifo(8)])
        .quiet(),
        reject(
            "lookup_on_prog_array",
            "map_lookup_elem on a program array",
            lookup_store,
        )
        .maps(&[prog_array()])
        .quiet(),
        reject(
            "update_on_prog_array",
            "map_update_elem on a program array",
            update(2),
        )
        .maps(&[prog_array()])
        .quiet(),
        reject(
            "delete_on_prog_array",
            "map_delete_elem on a program array",
            update(3),
        )
        .maps(&[prog_array()])
        .quiet(),
        reject("update_on_queue", "map_update_elem on a queue", update(2))
            .maps(&[queue(16)])
            .quiet(),
        reject(
            "delete_on_ring",
            "map_delete_elem on a ring buffer",
            update(3),
        )
        .maps(&[ring()])
        .quiet(),
        reject(
            "ringbuf_output_on_hash",
            "ringbuf_output into a hash map",
            prog(
                "stdw [%r10-8], 7\nlddw %r1, map_idx 0\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 8\n\
                 mov %r4, 0\ncall 130\nmov %r0, 0\nexit\n",
            ),
        )
        .maps(&[hash()])
        .quiet(),
        reject(
            "ringbuf_reserve_on_array",
            "ringbuf_reserve from an array map",
            reserve_store,
        )
        .quiet(),
        reject(
            "ringbuf_query_on_array",
            "ringbuf_query of an array map",
            prog("lddw %r1, map_idx 0\nmov %r2, 0\ncall 134\nexit\n"),
        )
        .quiet(),
        reject(
            "push_on_hash",
            "map_push_elem onto a hash map",
            queue_op(87),
        )
        .maps(&[hash()])
        .quiet(),
        reject(
            "pop_on_array",
            "map_pop_elem from an array map",
            queue_op(88),
        )
        .quiet(),
        reject("peek_on_hash", "map_peek_elem of a hash map", queue_op(89))
            .maps(&[hash()])
            .quiet(),
        reject(
            "lookup_with_map_value_as_map",
            "map_lookup_elem given a map value pointer for the map",
            prog(&format!(
                "{}mov %r1, %r0\nmov %r2, %r10\nadd %r2, -64\ncall 1\nmov %r0, 0\nexit\n",
                look()
            )),
        ),
        reject(
            "lookup_with_number_as_map",
            "map_lookup_elem given a number for the map",
            prog(
                "mov %r1, 4660\nstw [%r10-64], 0\nmov %r2, %r10\nadd %r2, -64\ncall 1\n\
                 mov %r0, 0\nexit\n",
            ),
        ),
        reject(
            "submit_map_value_as_record",
            "ringbuf_submit given a map value pointer",
            prog(&format!(
                "{}mov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .maps(&[array(), ring()])
        .quiet(),
        reject(
            "submit_record_twice",
            "a ring record submitted twice",
            prog(&format!(
                "{}mov %r7, %r0\nmov %r1, %r7\nmov %r2, 0\ncall 132\nmov %r1, %r7\nmov %r2, 0\n\
                 call 132\nmov %r0, 0\nexit\n",
                reserve(0, 8)
            )),
        )
        .maps(&[ring()])
        .quiet(),
        reject(
            "reserve_with_unknown_size",
            "ringbuf_reserve of a size read from the context, written at +96",
            prog(
                "ldxdw %r2, [%r6+24]\nlddw %r1, map_idx 0\nmov %r3, 0\ncall 131\n\
                 jeq %r0, 0, out\nstdw [%r0+96], 1\nmov %r1, %r0\nmov %r2, 0\ncall 132\n\
                 mov %r0, 0\nexit\n",
            ),
        )
        .maps(&[ring()])
        .quiet(),
        reject(
            "record_never_submitted",
            "a ring record reserved and kept at exit",
            prog(&format!(
                "{}stdw [%r0+0], 1\nmov %r0, 0\nexit\n",
                reserve(0, 8)
            )),
        )
        .maps(&[ring()])
        .quiet(),
    ]
}
