# reject: but not write or run an atomic operation through it
# context: type tracing
ldxdw %r2, [%r1+0]
mov %r3, 1
lock add [%r2+0], %r3
mov %r0, 0
exit
