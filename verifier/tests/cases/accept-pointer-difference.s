# accept
mov %r0, %r10
add %r0, -8
mov %r3, %r10
sub %r3, %r0
mov %r0, %r3
exit
