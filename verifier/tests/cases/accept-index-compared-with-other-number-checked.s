# accept
# checked: 6
# An index compared with a number that is not the length proves nothing about the memory:
# the access keeps its run-time check.
mov %r0, 0
ldxb %r3, [%r1]
ldxb %r6, [%r1+1]
jgt %r3, %r6, +3
mov %r4, %r1
add %r4, %r3
ldxb %r0, [%r4]
exit
