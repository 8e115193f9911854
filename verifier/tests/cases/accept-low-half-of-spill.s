# accept
# A 4-byte read of the low half (lowest address) of a spilled number gets its low 32 bits.
lddw %r1, 0x500000003
stxdw [%r10-8], %r1
ldxw %r2, [%r10-8]
mov %r0, 0
jeq %r2, 3, +1
ldxdw %r0, [%r10-64]
exit
