# reject: insn 1: reading part of the spilled ctx at fp-8 would leak an address
stxdw [%r10-8], %r1
ldxw %r0, [%r10-8]
exit
