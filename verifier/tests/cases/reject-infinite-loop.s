# reject: insn 1: infinite loop
mov %r0, 0
ja -1
exit
