# reject: insn 5: comparing map0 with map1 would leak an address
# map: a 2 4 8
# map: b 2 4 8
# Their order is where the host placed them.
lddw %r1, map_fd 0
lddw %r2, map_fd 1
mov %r0, 1
jgt %r1, %r2, out
mov %r0, 0
out:
exit
