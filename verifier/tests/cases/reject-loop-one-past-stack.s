# reject: access of 1 bytes at offset 0 is outside the stack frame
mov %r1, 0
loop:
mov %r2, %r10
add %r2, -64
add %r2, %r1
stb [%r2], 0
add %r1, 1
jle %r1, 64, loop
mov %r0, 0
exit
