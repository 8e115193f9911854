# accept
# context: fixed 16
# checked: 0
# A fixed context's accesses are in bounds but keep their run-time check: a run may get a
# shorter buffer than the program type's context.
ldxdw %r0, [%r1+8]
exit
