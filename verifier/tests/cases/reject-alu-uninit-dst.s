# reject: insn 0: r0 is read before it is written
add %r0, 1
exit
