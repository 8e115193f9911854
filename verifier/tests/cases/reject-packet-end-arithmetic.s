# reject: insn 1: arithmetic on r3 = pkt_end is not allowed
# context: packet 16 data 0 end 8 width 8
ldxdw %r3, [%r1+8]
add %r3, -4
mov %r0, 0
exit
