# accept
# termination: budget
# proven: 5
# Widening then narrowing: the index goes to any value, the loop condition brings it back to
# 0..=56, and every load of 8 bytes is proven inside the 64 bytes checked at entry.
mov %r0, 0
jlt %r2, 64, out
mov %r3, 0
loop:
mov %r4, %r1
add %r4, %r3
ldxdw %r5, [%r4]
add %r0, %r5
add %r3, 8
jlt %r3, 64, loop
out:
exit
