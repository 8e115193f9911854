# accept
# context: fixed 16
# checked: 3
# A fixed context's accesses are in bounds but keep their run-time check: a run may get a
# shorter buffer than the program type's context.
ldxb %r2, [%r1]
and %r2, 7
add %r1, %r2
ldxb %r0, [%r1+8]
exit
