# reject: are its bpf_spin_lock, which programs reach only through bpf_spin_lock
# map: counters 1 4 16 lock=0
stw [%r10-4], 7
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, +1
ldxdw %r0, [%r0+0]
mov %r0, 0
exit
