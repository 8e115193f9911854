# reject: insn 0: storing ctx in 8 bytes or at an unaligned or variable stack offset would leak an address
stxdw [%r10-12], %r1
mov %r0, 0
exit
