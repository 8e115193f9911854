# reject: insn 18: r2 = pkt+0..=+2100: access of 4 bytes at offset 2..=2102
# context: type xdp
# The cursor moved by two lengths is checked for 4 bytes; the read of 4 bytes two past it is not.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 2
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
and %r5, 15
lsh %r5, 2
ldxb %r7, [%r2+1]
lsh %r7, 3
add %r2, %r5
mov %r6, %r2
add %r6, 1
jgt %r6, %r3, out
add %r2, %r7
mov %r6, %r2
add %r6, 4
jgt %r6, %r3, out
ldxw %r0, [%r2+2]
exit
out:
mov %r0, 1
exit
