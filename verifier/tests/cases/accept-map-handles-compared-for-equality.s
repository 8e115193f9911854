# accept
# map: a 2 4 8
# map: b 2 4 8
# Whether two map handles are the same map tells nothing of where either lies.
lddw %r1, map_fd 0
lddw %r2, map_fd 1
mov %r0, 1
jeq %r1, %r2, same
jne %r1, %r2, out
same:
mov %r0, 0
out:
exit
