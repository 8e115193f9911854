# reject: insn 4: r2 = fp0-2: access of 4 bytes at offset -2 is outside the stack frame
# map: counts 1 4 8
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -2
call 1
mov %r0, 0
exit
