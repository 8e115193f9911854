# reject: insn 0: reads fp0-8, a stack byte not written on this path
ldxdw %r0, [%r10-8]
exit
