# reject: is not allowed on pointers
mov %r0, %r1
add %r0, %r10
exit
