# reject: insn 0: r10 = fp0: access of 4 bytes at offset -2 is outside the stack frame
stw [%r10-2], 0
mov %r0, 0
exit
