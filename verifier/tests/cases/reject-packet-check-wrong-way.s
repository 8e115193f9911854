# reject: insn 5: r2 = pkt: access of 4 bytes at offset 0 is outside the 0 packet bytes
# context: packet 16 data 0 end 8 width 8
ldxdw %r2, [%r1]
ldxdw %r3, [%r1+8]
mov %r4, %r2
add %r4, 4
jle %r4, %r3, +2
ldxw %r0, [%r2]
exit
mov %r0, 0
exit
