# reject: insn 1: r0 = scalar is not a pointer
call 1000
ldxb %r0, [%r0]
exit
