# reject: insn 1: r2 = 0 is not a pointer
mov %r2, 0
stw [%r2], 1
mov %r0, 0
exit
