# accept
# map: events 27 0 0
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jne %r0, 0, +1
exit
mov %r1, %r0
mov %r2, 0
call 133
mov %r0, 0
exit
