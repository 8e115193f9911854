# reject: insn 2: pointer arithmetic on r1 = ctx with r2 = scalar can leave any region
# context: fixed 64
ldxdw %r2, [%r1]
jgt32 %r2, 56, +3
add %r1, %r2
ldxdw %r0, [%r1]
exit
mov %r0, 0
exit
