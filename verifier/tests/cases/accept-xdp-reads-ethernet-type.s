# accept
# context: type xdp
# proven: 5
# An XDP program reads the Ethernet type once `data + 14 <= data_end` holds.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, +2
ldxh %r0, [%r2+12]
exit
mov %r0, 2
exit
