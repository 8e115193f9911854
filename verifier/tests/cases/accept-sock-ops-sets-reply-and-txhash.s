# accept
# context: type sock_ops
# A sock_ops program reads the operation, the family, a port, a 64-bit counter and the first
# byte of the TCP flags, and answers through `reply` and `sk_txhash` (the only fields Linux
# lets it write).
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+20]
ldxw %r4, [%r1+64]
ldxdw %r5, [%r1+176]
ldxb %r6, [%r1+212]
ldxw %r7, [%r1+12]
stxw [%r1+4], %r2
stw [%r1+164], 7
mov %r0, 1
exit
