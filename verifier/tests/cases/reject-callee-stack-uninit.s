# reject: insn 3: reads fp1-8, a stack byte not written on this path
stdw [%r10-8], 1
call local f
exit
f:
ldxdw %r0, [%r10-8]
exit
