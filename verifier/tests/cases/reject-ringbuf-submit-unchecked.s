# reject: insn 7: argument 1 of `ringbuf_submit` must be a ring-buffer record from ringbuf_reserve, checked for null
# map: events 27 0 0
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
mov %r1, %r0
mov %r2, 0
call 132
mov %r0, 0
exit
