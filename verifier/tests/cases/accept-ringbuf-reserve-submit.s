# accept
# map: events 27 0 0
# proven: 6
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, +5
stdw [%r0], 1
mov %r1, %r0
mov %r2, 0
call 132
mov %r0, 0
exit
