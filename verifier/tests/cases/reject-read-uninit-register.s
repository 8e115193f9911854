# reject: insn 0: r3 is read before it is written
mov %r0, %r3
exit
