# reject: insn 15: 64-bit sub
# map: events 27 0 0
# Two reservations are two regions: the distance between them is where the host put them.
lddw %r1, map_fd 0
mov %r2, 16
mov %r3, 0
call 131
mov %r6, %r0
lddw %r1, map_fd 0
mov %r2, 16
mov %r3, 0
call 131
mov %r7, %r0
jeq %r6, 0, +10
jeq %r7, 0, +9
mov %r8, %r7
sub %r8, %r6
mov %r1, %r6
mov %r2, 0
call 133
mov %r1, %r7
mov %r2, 0
call 133
mov %r0, %r8
exit
mov %r0, 0
exit
