# reject: the offset into the context is not bounded below
# A pointer into raw memory moved by a number with no bound may point anywhere, the stack
# included: refused (a bounded or length-checked index is accepted).
jlt %r2, 8, +6
ldxdw %r3, [%r1]
lsh %r3, 63
mov %r4, %r1
add %r4, %r3
ldxb %r0, [%r4]
exit
mov %r0, 0
exit
