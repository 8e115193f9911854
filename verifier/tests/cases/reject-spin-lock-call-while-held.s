# reject: calling `ktime_get_ns` while holding a bpf_spin_lock
# map: counters 1 4 16 lock=0
stw [%r10-4], 7
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, +5
mov %r6, %r0
mov %r1, %r6
call 93
call 5
mov %r1, %r6
call 94
mov %r0, 0
exit
