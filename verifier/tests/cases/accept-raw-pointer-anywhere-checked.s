# accept
# checked: 5
# A pointer into raw memory moved by a number with no bound may point anywhere: the access
# through it keeps its run-time check instead of being refused.
jlt %r2, 8, +6
ldxdw %r3, [%r1]
lsh %r3, 63
mov %r4, %r1
add %r4, %r3
ldxb %r0, [%r4]
exit
mov %r0, 0
exit
