# reject: reads through a number (a kernel pointer) on one path and through a pointer on another
# context: type tracing
# One load instruction serves a stack pointer on one path and an argument on the other.
stdw [%r10-8], 7
ldxdw %r2, [%r1+0]
ldxdw %r3, [%r1+8]
jeq %r3, 0, +2
mov %r2, %r10
add %r2, -8
ldxdw %r0, [%r2+0]
exit
