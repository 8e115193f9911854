# reject: insn 1: r0 is not set at exit
call local f
exit
f:
mov %r1, 0
exit
