# reject: insn 0: r0 is not set at exit
exit
