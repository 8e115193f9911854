# reject: insn 7: r0 = map_value0: map `config` is read-only to programs
# map: config 2 4 8 readonly
stw [%r10-4], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, +1
stdw [%r0], 1
mov %r0, 0
exit
