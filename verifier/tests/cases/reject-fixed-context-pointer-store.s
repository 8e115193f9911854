# reject: insn 0: storing fp0 into ctx memory would leak an address
# context: fixed 16
stxdw [%r1], %r10
mov %r0, 0
exit
