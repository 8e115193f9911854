# accept
# context: fixed 256
# checked: 4
# A fixed context's accesses are in bounds but keep their run-time check: a run may get a
# shorter buffer than the program type's context.
ldxb %r3, [%r1]
stxdw [%r10-8], %r3
ldxdw %r4, [%r10-8]
add %r1, %r4
ldxb %r0, [%r1]
exit
