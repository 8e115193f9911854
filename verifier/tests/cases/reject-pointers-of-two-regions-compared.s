# reject: insn 1: comparing ctx with fp0 would leak an address
mov %r0, 0
jgt %r1, %r10, +1
mov %r0, 1
exit
