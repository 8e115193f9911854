# reject: insn 0: a 32-bit copy of fp0 would leak an address
mov32 %r0, %r10
exit
