# reject: insn 1: returning r0 = ctx would leak an address
mov %r0, %r1
exit
