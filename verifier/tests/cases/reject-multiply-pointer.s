# reject: insn 1: 64-bit mul of r0 = ctx and the immediate = 2 is not allowed on pointers
mov %r0, %r1
mul %r0, 2
exit
