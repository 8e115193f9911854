# reject: insn 1: returning r0 = fp0 would leak an address
mov %r0, %r10
exit
