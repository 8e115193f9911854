# accept
# proven: 7
# A 2-byte spill of a small number reads back with its bounds, which then bound a stack index.
mov %r1, 6
stxh [%r10-2], %r1
ldxh %r2, [%r10-2]
stdw [%r10-16], 0
mov %r3, %r10
add %r3, -16
add %r3, %r2
ldxb %r0, [%r3]
exit
