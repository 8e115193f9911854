# reject: insn 8: the access reaches the context without a proof of its bounds on one path and other memory on another
# One instruction may not serve an unproven context access on one path and the stack on
# another: the run checks it against the context alone.
stdw [%r10-8], 5
mov %r3, %r10
add %r3, -8
jlt %r2, 1, +4
ldxb %r4, [%r1]
jeq %r4, 0, +2
mov %r3, %r1
add %r3, 4
ldxb %r0, [%r3]
exit
