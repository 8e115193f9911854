# accept
# context: fixed 256
# proven: 4
ldxb %r3, [%r1]
stxdw [%r10-8], %r3
ldxdw %r4, [%r10-8]
add %r1, %r4
ldxb %r0, [%r1]
exit
