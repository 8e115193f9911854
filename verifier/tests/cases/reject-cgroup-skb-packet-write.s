# reject: the packet is read-only to programs over a __sk_buff
# context: type cgroup_skb
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, +1
stb [%r2], 1
mov %r0, 1
exit
