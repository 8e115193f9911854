# reject: insn 12:
# context: type xdp
# `l4 + 4 <= data_end` proves four bytes at l4, not six.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
ldxb %r5, [%r2]
and %r5, 15
lsh %r5, 2
add %r2, %r5
mov %r6, %r2
add %r6, 4
jgt %r6, %r3, out
ldxh %r0, [%r2+4]
exit
out:
mov %r0, 1
exit
