# reject: insn 2: r1 = 4096 is not a pointer; memory is reached only through pointers
lddw %r1, 0x1000
ldxw %r0, [%r1]
exit
