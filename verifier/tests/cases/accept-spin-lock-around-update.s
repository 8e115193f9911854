# accept
# map: counters 1 4 16 lock=0
# A hash value { struct bpf_spin_lock lock; u32 pad; u64 count; }: looked up, checked for
# null, its count updated under its lock.
stw [%r10-4], 7
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, +8
mov %r6, %r0
mov %r1, %r6
call 93
ldxdw %r1, [%r6+8]
add %r1, 1
stxdw [%r6+8], %r1
mov %r1, %r6
call 94
mov %r0, 0
exit
