# reject: insn 10: r6 is read before it is written
# map: events 27 0 0
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, +6
mov %r6, %r0
mov %r1, %r0
mov %r2, 0
call 132
stdw [%r6], 1
mov %r0, 0
exit
