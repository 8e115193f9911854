# reject: insn 2: arithmetic on r1 = map0 is not allowed
# map: counts 1 4 8
lddw %r1, map_fd 0
add %r1, 8
mov %r0, 0
exit
