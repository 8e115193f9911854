# reject: bpf_spin_unlock is missing
# map: counters 1 4 16 lock=0
stw [%r10-4], 7
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, +2
mov %r1, %r0
call 93
mov %r0, 0
exit
