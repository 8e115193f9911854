# accept
# proven: 1 2
mov %r1, 7
stxdw [%r10-8], %r1
ldxdw %r0, [%r10-8]
exit
