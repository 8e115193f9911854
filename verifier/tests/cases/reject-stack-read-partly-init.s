# reject: insn 1: reads fp0-8, a stack byte not written
stw [%r10-4], 1
ldxdw %r0, [%r10-8]
exit
