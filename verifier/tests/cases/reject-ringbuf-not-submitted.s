# reject: insn 6: the ring-buffer record reserved at insn 4 is neither submitted nor discarded
# map: events 27 0 0
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
mov %r0, 0
exit
