# accept
# context: type xdp
# A header parser: the cursor moves by one variable length (an IP header's ihl * 4), then
# by another (an extension header's), and each time the moved cursor is checked against
# data_end before the bytes after it are read, as xdp-tools' parsing_helpers.h does.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 2
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
and %r5, 15
lsh %r5, 2
ldxb %r7, [%r2+1]
lsh %r7, 3
add %r2, %r5
mov %r6, %r2
add %r6, 1
jgt %r6, %r3, out
add %r2, %r7
mov %r6, %r2
add %r6, 4
jgt %r6, %r3, out
ldxw %r0, [%r2+0]
exit
out:
mov %r0, 1
exit
