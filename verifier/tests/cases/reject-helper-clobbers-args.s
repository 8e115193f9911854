# reject: insn 1: r1 is read before it is written
call 5
mov %r0, %r1
exit
