# accept
# probe_read from an address that is a number: the helper looks it up itself; its destination
# is initialised after the call.
mov %r1, %r10
add %r1, -8
mov %r2, 8
mov %r3, 4096
call 4
ldxdw %r0, [%r10-8]
exit
