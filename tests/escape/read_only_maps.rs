//! Must-reject programs, category 6: read-only maps.

use crate::asm::{look, prog, prog_fn};
use crate::harness::{Case, reject};
use crate::host_helpers::{AIM, COPY};
use crate::maps::{array, hash, lifo, queue};

pub(crate) fn read_only_maps() -> Vec<Case> {
    let ro = [array().read_only()];
    let store = |body: &str| prog(&format!("{}mov %r7, 5\n{body}mov %r0, 0\nexit\n", look()));
    let cases = [
        (
            "read_only_value_stb",
            "stb into a read-only value",
            "stb [%r0+0], 1\n",
        ),
        (
            "read_only_value_sth",
            "sth into a read-only value",
            "sth [%r0+2], 1\n",
        ),
        (
            "read_only_value_stw",
            "stw into a read-only value",
            "stw [%r0+4], 1\n",
        ),
        (
            "read_only_value_stdw",
            "stdw into a read-only value",
            "stdw [%r0+8], 1\n",
        ),
        (
            "read_only_value_stxdw",
            "stxdw into a read-only value",
            "stxdw [%r0+0], %r7\n",
        ),
        (
            "read_only_value_stxb",
            "stxb into a read-only value's last byte",
            "stxb [%r0+15], %r7\n",
        ),
        (
            "read_only_value_atomic_add",
            "atomic add into a read-only value",
            "lock add [%r0+0], %r7\n",
        ),
        (
            "read_only_value_atomic_xchg",
            "atomic xchg into a read-only value",
            "lock xchg [%r0+8], %r7\n",
        ),
        (
            "read_only_value_atomic_cmpxchg",
            "atomic cmpxchg into a read-only value",
            "mov %r9, %r0\nmov %r0, 0\nlock cmpxchg [%r9+0], %r7\n",
        ),
        (
            "read_only_value_fetch_or32",
            "atomic fetch-or of 32 bits into a read-only value",
            "lock fetch or32 [%r0+4], %r7\n",
        ),
    ];
    let mut v: Vec<Case> = cases
        .into_iter()
        .map(|(name, what, body)| reject(name, what, store(body)).maps(&ro))
        .collect();
    let helper_into =
        |call: &str| prog(&format!("{}mov %r1, %r0\n{call}mov %r0, 0\nexit\n", look()));
    v.extend([
        reject(
            "update_read_only_map",
            "map_update_elem on a read-only map",
            prog(
                "stdw [%r10-16], 5\nstdw [%r10-8], 5\nstw [%r10-64], 0\nlddw %r1, map_idx 0\n\
                 mov %r2, %r10\nadd %r2, -64\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 2\n\
                 mov %r0, 0\nexit\n",
            ),
        )
        .maps(&ro)
        .quiet(),
        reject(
            "delete_from_read_only_hash",
            "map_delete_elem on a read-only hash map",
            prog(
                "stw [%r10-64], 0\nlddw %r1, map_idx 0\nmov %r2, %r10\nadd %r2, -64\ncall 3\n\
                 mov %r0, 0\nexit\n",
            ),
        )
        .maps(&[hash().read_only()])
        .quiet(),
        reject(
            "probe_read_into_read_only_value",
            "probe_read with a read-only value for its destination",
            helper_into("mov %r2, 8\nmov %r3, %r6\nadd %r3, 32\ncall 4\n"),
        )
        .maps(&ro)
        .quiet(),
        reject(
            "comm_into_read_only_value",
            "get_current_comm into a read-only value",
            helper_into("mov %r2, 16\ncall 16\n"),
        )
        .maps(&ro),
        reject(
            "memout_helper_into_read_only_value",
            "a host MemOut helper into a read-only value",
            helper_into(&format!("mov %r2, 16\ncall {AIM}\n")),
        )
        .maps(&ro),
        reject(
            "copy_helper_into_read_only_value",
            "a host copy helper into a read-only value",
            helper_into(&format!(
                "mov %r2, 8\nmov %r3, %r6\nadd %r3, 32\nmov %r4, 8\ncall {COPY}\n"
            )),
        )
        .maps(&ro),
        reject(
            "rodata_value_store",
            "stdw through the direct value address of a read-only array (.rodata)",
            prog("lddw %r1, map_idx_value 0\nstdw [%r1+0], 1\nmov %r0, 0\nexit\n"),
        )
        .maps(&ro),
        reject(
            "rodata_value_offset_store",
            "stxw at +12 of a read-only array's direct value address",
            prog(
                "lddw %r1, map_idx_value 0\nadd %r1, 8\nmov %r7, 5\nstxw [%r1+4], %r7\n\
                 mov %r0, 0\nexit\n",
            ),
        )
        .maps(&ro),
        reject(
            "pop_into_read_only_value",
            "map_pop_elem into a read-only value",
            prog(&format!(
                "{}mov %r2, %r0\nlddw %r1, map_idx 1\ncall 88\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .maps(&[array().read_only(), queue(16)]),
        reject(
            "read_only_value_to_callee",
            "a read-only value pointer passed to a callee that stores through it",
            prog_fn(
                &format!("{}mov %r1, %r0\ncall local f\nmov %r0, 0\nexit\n", look()),
                "f:\nstdw [%r1+0], 1\nmov %r0, 0\nexit\n",
            ),
        )
        .maps(&ro),
        reject(
            "read_only_store_behind_branch",
            "a store into a read-only value on one path only",
            prog(&format!(
                "ldxdw %r8, [%r6+32]\n{}jne %r8, 1, skip\nstb [%r0+0], 1\nskip:\nmov %r0, 0\n\
                 exit\n",
                look()
            )),
        )
        .maps(&ro),
        reject(
            "read_only_store_in_loop",
            "a loop storing the first 4 bytes of a read-only value",
            prog(&format!(
                "{}mov %r7, 0\nloop:\nmov %r1, %r0\nadd %r1, %r7\nstb [%r1+0], 1\nadd %r7, 1\n\
                 jlt %r7, 4, loop\nmov %r0, 0\nexit\n",
                look()
            )),
        )
        .maps(&ro),
        reject(
            "push_onto_read_only_queue",
            "map_push_elem onto a read-only queue",
            prog(
                "stdw [%r10-8], 7\nlddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 0\n\
                 call 87\nmov %r0, 0\nexit\n",
            ),
        )
        .maps(&[array(), queue(8).read_only()])
        .quiet(),
        reject(
            "pop_from_read_only_stack_map",
            "map_pop_elem from a read-only stack map",
            prog("lddw %r1, map_idx 1\nmov %r2, %r10\nadd %r2, -8\ncall 88\nmov %r0, 0\nexit\n"),
        )
        .maps(&[array(), lifo(8).read_only()])
        .quiet(),
    ]);
    v
}
