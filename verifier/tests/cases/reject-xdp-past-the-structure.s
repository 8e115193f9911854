# reject: invalid access to xdp_md (off=24 size=4): no field there
# context: type xdp
# The full-width packet pointers after `xdp_md` are the runtime's, not the program's.
ldxw %r0, [%r1+24]
exit
