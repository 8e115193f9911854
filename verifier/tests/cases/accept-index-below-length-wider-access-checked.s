# accept
# termination: budget
# checked: 6
# As the byte loop, but a 2-byte load at `mem + i` with only `i + 1 <= len` known (and
# `i <= 62`, which says nothing of the length): the second byte may be past the end, so the
# access keeps its run-time check.
mov %r0, 0
jeq %r2, 0, +8
mov %r3, 0
jgt %r3, 62, +6
mov %r4, %r1
add %r4, %r3
ldxh %r5, [%r4]
xor %r0, %r5
add %r3, 1
jgt %r2, %r3, -7
exit
