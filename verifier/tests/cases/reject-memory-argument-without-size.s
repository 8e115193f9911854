# reject: insn 14: the prototype of `host_copy` gives r1 no size argument after it
# map: m 2 4 8
# r1 (the copy's destination) is never checked: it points at the spilled map-value pointer.
stw [%r10-4], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, +11
stxdw [%r10-16], %r0
stdw [%r10-24], 0
mov %r1, %r10
add %r1, -16
mov %r2, %r10
add %r2, -24
mov %r3, 8
call 1002
ldxdw %r6, [%r10-16]
ldxdw %r0, [%r6]
exit
mov %r0, 0
exit
