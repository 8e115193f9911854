# accept
# map: .rodata 2 4 8 readonly
lddw %r1, map_value 0
ldxdw %r0, [%r1]
exit
