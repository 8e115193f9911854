# reject: insn 4: r6 is read before it is written
mov %r6, 5
call local f
mov %r0, 0
exit
f:
mov %r0, %r6
exit
