# reject: insn 1: reads fp0-8, a stack byte not written
mov %r1, 2
lock add [%r10-8], %r1
mov %r0, 0
exit
