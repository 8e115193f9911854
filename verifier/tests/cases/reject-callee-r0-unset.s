# reject: insn 3: r0 is not set at exit
call local f
exit
f:
mov %r1, 0
exit
