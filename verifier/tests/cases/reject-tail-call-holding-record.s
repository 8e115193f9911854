# reject: insn 12: tail call while the ring-buffer record reserved at insn 5 is held
# map: events 27 0 0
# map: jump 3 4 4
mov %r6, %r1
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, +7
mov %r7, %r0
mov %r1, %r6
lddw %r2, map_fd 1
mov %r3, 0
call 12
mov %r1, %r7
mov %r2, 0
call 133
mov %r0, 0
exit
