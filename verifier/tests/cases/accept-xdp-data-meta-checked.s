# accept
# context: type xdp
# Four bytes of metadata, once compared with data, may be read and written.
ldxw %r2, [%r1+8]
ldxw %r3, [%r1+0]
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
ldxw %r5, [%r2+0]
add %r5, 1
stxw [%r2+0], %r5
out:
mov %r0, 2
exit
