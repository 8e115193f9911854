# reject: insn 2: storing fp0 into map_value0 memory would leak an address
# map: .data 2 4 16
lddw %r1, map_value 0
stxdw [%r1], %r10
mov %r0, 0
exit
