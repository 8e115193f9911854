# reject: insn 0: r1 = ctx: access of 8 bytes at offset 12 is outside the 16-byte context
# context: fixed 16
ldxdw %r0, [%r1+12]
exit
