# reject: insn 2: r1 = map0 is not memory a program may access
# map: counts 1 4 8
lddw %r1, map_fd 0
ldxdw %r0, [%r1]
exit
