# accept
# context: fixed 64
# checked: 3
# A fixed context's accesses are in bounds but keep their run-time check: a run may get a
# shorter buffer than the program type's context.
ldxb %r2, [%r1]
jgt %r2, 56, +3
add %r1, %r2
ldxdw %r0, [%r1]
exit
mov %r0, 0
exit
