# accept
# context: type sk_msg
# The message is a packet: once compared with data_end, its bytes may be read and written.
ldxdw %r2, [%r1+0]
ldxdw %r3, [%r1+8]
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
ldxw %r5, [%r2+0]
xor %r5, 0x20202020
stxw [%r2+0], %r5
out:
mov %r0, 1
exit
