# reject: insn 0: r0 is read before it is written
or %r0, %r10
exit
