# accept
# map: .data 2 4 16
# proven: 2 3
lddw %r1, map_value 0 8
ldxdw %r0, [%r1]
stxdw [%r1], %r0
exit
