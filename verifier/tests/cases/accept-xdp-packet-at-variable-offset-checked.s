# accept
# context: type xdp
# proven: 12
# The IPv4 header length decides where the next header starts: `l4 = ip + ihl * 4`, checked
# (`l4 + 4 <= data_end`) before its bytes are read, as clang emits a parser past IP options.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
ldxb %r5, [%r2]
and %r5, 15
lsh %r5, 2
add %r2, %r5
mov %r6, %r2
add %r6, 4
jgt %r6, %r3, out
ldxh %r0, [%r2+2]
exit
out:
mov %r0, 1
exit
