# reject: insn 0: reading part of the context's packet pointers as a number
# context: packet 16 data 0 end 8 width 8
ldxb %r2, [%r1+8]
and %r2, 8
add %r1, %r2
ldxdw %r0, [%r1]
exit
