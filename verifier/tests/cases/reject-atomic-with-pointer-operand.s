# reject: insn 1: an atomic operation with r1 = ctx would leak an address
stdw [%r10-8], 1
lock add [%r10-8], %r1
mov %r0, 0
exit
