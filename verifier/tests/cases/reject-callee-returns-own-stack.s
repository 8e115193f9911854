# reject: insn 5: r0 = fp1-8 points into the stack of the function that returns
call local f
mov %r0, 0
exit
f:
mov %r0, %r10
add %r0, -8
exit
