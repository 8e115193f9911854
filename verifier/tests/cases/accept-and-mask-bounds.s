# accept
# context: fixed 64
# checked: 3
# A fixed context's accesses are in bounds but keep their run-time check: a run may get a
# shorter buffer than the program type's context.
ldxdw %r2, [%r1]
and %r2, 0x38
add %r1, %r2
ldxdw %r0, [%r1]
exit
