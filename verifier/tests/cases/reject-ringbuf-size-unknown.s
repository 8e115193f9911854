# reject: insn 4: argument 2 of `ringbuf_reserve` must be a known, non-zero size
# map: events 27 0 0
ldxw %r2, [%r1]
lddw %r1, map_fd 0
mov %r3, 0
call 131
mov %r0, 0
exit
