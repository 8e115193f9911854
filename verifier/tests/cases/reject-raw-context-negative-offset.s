# reject: insn 0: r1 = ctx: access of 4 bytes at offset -4 is outside the context
ldxw %r0, [%r1-4]
exit
