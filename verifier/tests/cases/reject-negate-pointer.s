# reject: insn 1: negation of a pointer (r0 = ctx) would leak an address
mov %r0, %r1
neg %r0
exit
