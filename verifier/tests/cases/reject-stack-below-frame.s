# reject: insn 0: r10 = fp0: access of 8 bytes at offset -520 is outside the stack frame [-512, 0)
stdw [%r10-520], 0
mov %r0, 0
exit
