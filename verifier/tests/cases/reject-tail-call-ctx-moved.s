# reject: insn 4: argument 1 of `tail_call` must be the context pointer, but r1 = ctx+4
# map: jump 3 4 4
add %r1, 4
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit
