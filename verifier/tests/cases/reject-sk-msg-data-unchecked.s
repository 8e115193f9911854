# reject: insn 1: r2 = pkt: access of 1 bytes at offset 0 is outside the 0 packet bytes proven present
# context: type sk_msg
ldxdw %r2, [%r1+0]
ldxb %r0, [%r2+0]
exit
