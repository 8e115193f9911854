# accept
# proven: 7
# checked: 8
# `j = i + 2` checked against the length (`j <= len`) bounds `i` as well: a 2-byte load at
# `mem + i` is proven; one at `mem + i + 1` is not.
mov %r0, 0
ldxb %r3, [%r1]
mov %r5, %r3
add %r5, 2
jgt %r5, %r2, +4
mov %r4, %r1
add %r4, %r3
ldxh %r0, [%r4]
ldxh %r0, [%r4+1]
exit
