# reject: insn 2: pointer arithmetic on r5 = fp0 with r3 = scalar can leave any region
ldxdw %r3, [%r1]
mov %r5, %r10
add %r5, %r3
mov %r0, 0
exit
