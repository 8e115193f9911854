# reject: insn 2: r1 = map_value0+8: access of 8 bytes at offset 12 is outside the 16-byte value of map `.data`
# map: .data 2 4 16
lddw %r1, map_value 0 8
ldxdw %r0, [%r1+4]
exit
