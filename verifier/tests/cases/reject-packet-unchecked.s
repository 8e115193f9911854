# reject: insn 1: r2 = pkt: access of 2 bytes at offset 12 is outside the 0 packet bytes proven present
# context: packet 16 data 0 end 8 width 8
ldxdw %r2, [%r1]
ldxh %r0, [%r2+12]
exit
