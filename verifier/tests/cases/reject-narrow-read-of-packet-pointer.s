# reject: insn 0: reading part of the context's packet pointers as a number
# context: packet 16 data 0 end 8 width 8
ldxw %r0, [%r1]
ldxw %r2, [%r1+4]
lsh %r2, 32
or %r0, %r2
exit
