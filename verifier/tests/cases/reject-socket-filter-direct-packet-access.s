# reject: invalid access to __sk_buff (off=76 size=4): no field there
# context: type socket_filter
# Socket filters read the packet with helpers and legacy loads, not through `data`.
ldxw %r2, [%r1+76]
mov %r0, 0
exit
