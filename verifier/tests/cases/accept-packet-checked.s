# accept
# context: packet 16 data 0 end 8 width 8
# proven: 5
ldxdw %r2, [%r1]
ldxdw %r3, [%r1+8]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, +2
ldxh %r0, [%r2+12]
exit
mov %r0, 0
exit
