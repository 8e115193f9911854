# accept
stxdw [%r10-8], %r1
ldxdw %r2, [%r10-8]
ldxb %r0, [%r2]
exit
