# reject: infinite loop
mov %r0, 0
loop:
add %r0, 0
jeq %r0, 0, loop
exit
