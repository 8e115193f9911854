# reject: insn 1: overwriting part of the spilled ctx at fp-8 would leak an address
stxdw [%r10-8], %r1
stw [%r10-8], 0
mov %r0, 0
exit
