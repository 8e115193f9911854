# reject: insn 15: r8 = pkt+0..=+15: access of 2 bytes
# context: type xdp
# The check is of `data + a`; the read is at `data + b`, another index of the same range.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
ldxb %r5, [%r2]
and %r5, 15
ldxb %r7, [%r2]
and %r7, 15
mov %r8, %r2
add %r2, %r5
add %r8, %r7
mov %r6, %r2
add %r6, 4
jgt %r6, %r3, out
ldxh %r0, [%r8+0]
exit
out:
mov %r0, 1
exit
