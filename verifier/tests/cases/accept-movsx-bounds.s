# accept
# context: fixed 64
ldxb %r2, [%r1]
movsx864 %r2, %r2
jsgt %r2, 56, +4
jslt %r2, 0, +3
add %r1, %r2
ldxdw %r0, [%r1]
exit
mov %r0, 0
exit
